/**
 * How long the Quick fit's head fit takes (engine/transfer/softmax-head.ts: 4 L2 values x 3 folds
 * x 300 full-batch Adam steps, then the final fit) on seeded random features of a given size.
 *
 *   npm run bench:head-fit -- [--size 400x480x10] [--repeat 1]
 *
 * 480 features is the shipped 0.5x backbone's width; 400 rows are a 10-class folder of 50 images a
 * class after its 20% validation split. Random features flatter nothing here: the fit's cost
 * depends only on the sizes.
 */
import { parseArgs } from 'node:util';
import { fitSoftmaxHead } from '../src-main/engine/transfer/softmax-head';

const { values: opts } = parseArgs({ options: { size: { type: 'string', default: '400x480x10' }, repeat: { type: 'string', default: '1' } } });
const [n, width, classes] = opts.size!.split('x').map(Number);
let seed = 1;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
const features = Float32Array.from({ length: n * width }, random);
const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
// A little signal, so the L2 search has something to choose between.
for (let i = 0; i < n; i++) features[i * width + labels[i]] += 1;
for (let r = 0; r < Number(opts.repeat); r++) {
  const started = performance.now();
  const head = fitSoftmaxHead(features, labels, { classes });
  console.log(JSON.stringify({ size: opts.size, seconds: Number(((performance.now() - started) / 1000).toFixed(2)), l2: head.l2 }));
}
