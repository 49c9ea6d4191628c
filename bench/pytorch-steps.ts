/**
 * The app's first training steps beside PyTorch's, from identical weights on identical batches
 * (issue 18: the app's epoch-1 loss was 4.38 against PyTorch's 1.61 on the same recipe).
 *
 *   node --import tsx bench/pytorch-steps.ts --data ../shared/datasets/cifar10/cifar-10-batches-bin \
 *        --out /tmp/steps [--scale 1] [--groups 3] [--steps 20] [--batch 128] [--micro-batch 128]
 *        [--lr 0.2] [--warmup-steps 20] [--seed 0] [--backend wasm|cpu] [--zero-init-branches]
 *   /usr/bin/python3 bench/pytorch_steps.py /tmp/steps
 *
 * This side builds the model as `train` does (seeded initial weights), writes them to
 * `<out>/weights.bin` + `weights.json`, takes the first steps x batch images of data_batch_1 in
 * file order (no augmentation, so both sides see the same pixels), records the loss of the first
 * micro-batch at step 0 in training mode and the gradient of every weight, then trains `--steps` steps
 * with the engine's own step (train/train-step.ts: micro-batches, momentum SGD with weight decay
 * on kernels only) and a linear warm-up, and writes every step's loss to `<out>/app.json`. The
 * Python side loads the same weights into the PyTorch reference model and repeats it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../src-main/engine/backend';
import { CIFAR_RECORD_BYTES, planarToHwc } from '../src-main/engine/data/cifar10';
import { defaultPreprocessing, toModelInput } from '../src-main/engine/data/preprocess';
import { buildShuffleNetV1 } from '../src-main/engine/model/shufflenet';
import { smoothedCrossEntropy } from '../src-main/engine/metrics/loss';
import { withSeededRandom } from '../src-main/engine/train/seeded-init';
import { MomentumSgd } from '../src-main/engine/step/sgd';
import { trainStep } from '../src-main/engine/train/train-step';
import type { Groups, Scale } from '../src-main/engine/types';

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    scale: { type: 'string', default: '1' },
    groups: { type: 'string', default: '3' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '128' },
    'micro-batch': { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.2' },
    'warmup-steps': { type: 'string', default: '20' },
    'weight-decay': { type: 'string', default: '5e-4' },
    'label-smoothing': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string' },
    'zero-init-branches': { type: 'boolean', default: false },
  },
});
if (!opts.data || !opts.out) {
  console.error('usage: bench/pytorch-steps.ts --data <cifar-10-batches-bin> --out <dir> [options]');
  process.exit(2);
}
const steps = Number(opts.steps);
const batch = Number(opts.batch);
const settings = {
  scale: Number(opts.scale) as Scale,
  groups: Number(opts.groups) as Groups,
  steps,
  batch,
  microBatch: Number(opts['micro-batch']),
  lr: Number(opts.lr),
  warmupSteps: Number(opts['warmup-steps']),
  weightDecay: Number(opts['weight-decay']),
  labelSmoothing: Number(opts['label-smoothing']),
  momentum: 0.9,
  seed: Number(opts.seed),
  data: path.resolve(opts.data),
  zeroInitBranches: opts['zero-init-branches'],
};

/** The first `count` records of data_batch_1 as HWC uint8 pixels (the engine's layout) and labels. */
async function firstRecords(count: number): Promise<{ pixels: Uint8Array; labels: Int32Array }> {
  const raw = await fs.readFile(path.join(opts.data!, 'data_batch_1.bin'));
  if (raw.length < count * CIFAR_RECORD_BYTES) throw new Error(`data_batch_1.bin holds fewer than ${count} records`);
  const pixels = new Uint8Array(count * 32 * 32 * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = raw[i * CIFAR_RECORD_BYTES];
    planarToHwc(raw, i * CIFAR_RECORD_BYTES + 1, pixels, i * 32 * 32 * 3);
  }
  return { pixels, labels };
}

/** Linear warm-up from lr/warmup to lr, as the engine's schedule and the PyTorch reference do. */
function rateAt(step: number): number {
  return step < settings.warmupSteps ? (settings.lr * (step + 1)) / settings.warmupSteps : settings.lr;
}

async function writeWeights(variables: { name: string; variable: tf.Variable }[], file: string): Promise<{ name: string; shape: number[]; offset: number }[]> {
  const index: { name: string; shape: number[]; offset: number }[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const { name, variable } of variables) {
    const values = (await variable.data()) as Float32Array;
    index.push({ name, shape: variable.shape.slice(), offset });
    parts.push(values);
    offset += values.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  await fs.writeFile(file, Buffer.from(all.buffer));
  return index;
}

const backend = await initBackend(opts.backend ? { prefer: opts.backend as BackendName } : {});
await fs.mkdir(opts.out, { recursive: true });
const model = withSeededRandom(settings.seed, () =>
  buildShuffleNetV1(
    { scale: settings.scale, groups: settings.groups, numClasses: 10, stem: 'cifar', inputSize: 32 },
    { zeroInitBranches: settings.zeroInitBranches },
  ),
);
const named = model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
const index = await writeWeights(named, path.join(opts.out, 'weights.bin'));
await fs.writeFile(path.join(opts.out, 'weights.json'), JSON.stringify(index));
const { pixels, labels } = await firstRecords(steps * batch);
await fs.writeFile(path.join(opts.out, 'settings.json'), JSON.stringify(settings));

// Step 0's gradient of the first micro-batch's mean loss, in training mode, before any update (a
// whole batch of 128 does not fit the wasm heap in one pass at 1.0x).
const prep = defaultPreprocessing({ format: 'cifar10-binary', inputSize: 32 });
const imageBytes = 32 * 32 * 3;
const { lossAtInit, gradients } = tf.tidy(() => {
  const m = settings.microBatch;
  const x = toModelInput(tf.tensor4d(Float32Array.from(pixels.subarray(0, m * imageBytes)), [m, 32, 32, 3]), prep);
  const y = tf.tensor1d(labels.subarray(0, m), 'int32');
  const { value, grads } = tf.variableGrads(
    () => smoothedCrossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y, settings.labelSmoothing),
    named.map((n) => n.variable),
  );
  return { lossAtInit: value.dataSync()[0], gradients: named.map(({ name, variable }) => ({ name, values: grads[variable.name].dataSync() as Float32Array })) };
});
const gradientParts = new Float32Array(gradients.reduce((a, g) => a + g.values.length, 0));
let at = 0;
for (const g of gradients) {
  gradientParts.set(g.values, at);
  at += g.values.length;
}
await fs.writeFile(path.join(opts.out, 'app-gradients.bin'), Buffer.from(gradientParts.buffer));

const sgd = new MomentumSgd(named, { momentum: settings.momentum, weightDecay: settings.weightDecay });
const ctx = { model, variables: named.map((n) => n.variable), sgd, prep, labelSmoothing: settings.labelSmoothing, microBatchSize: settings.microBatch };
const losses: number[] = [];
for (let s = 0; s < steps; s++) {
  const result = await trainStep(
    ctx,
    pixels.subarray(s * batch * imageBytes, (s + 1) * batch * imageBytes),
    labels.subarray(s * batch, (s + 1) * batch),
    rateAt(s),
  );
  losses.push(result.lossSum / result.count);
  process.stderr.write(`step ${s + 1}: lr ${rateAt(s).toFixed(4)} loss ${losses.at(-1)!.toFixed(4)}\n`);
}
const report = { engine: `app tfjs-${backend.name}`, lossAtInit, losses, rates: losses.map((_, s) => rateAt(s)) };
await fs.writeFile(path.join(opts.out, 'app.json'), JSON.stringify(report, null, 1));
console.log(JSON.stringify(report));
