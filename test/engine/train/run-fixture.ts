import path from 'node:path';
import { defaultTrainConfig, train } from '../../../src-main/engine/jobs/train';
import { makeImageFolder } from '../../fixtures/image-folder';

/**
 * A tiny trained run for evaluation and prediction tests: 3 synthetic classes of 16x16 PNGs,
 * ShuffleNet 0.25x groups 2 (cifar stem), 2 epochs on the wasm backend. Returns the folders.
 */
export async function trainTinyRun(root: string): Promise<{ dataset: string; run: string; classes: string[] }> {
  process.env.SHUFFLENET_BACKEND = 'wasm';
  process.env.SHUFFLENET_CACHE_DIR = path.join(root, 'cache');
  const dataset = path.join(root, 'data');
  const classes = (await makeImageFolder(dataset, { perClass: 10, size: 16 })).slice().sort();
  const run = path.join(root, 'run');
  const config = defaultTrainConfig({
    dataset,
    outDir: run,
    scale: 0.25,
    groups: 2,
    stem: 'cifar',
    inputSize: 16,
    epochs: 2,
    batchSize: 8,
    // 0.1 ran away on these 24 images (ended as diverged).
    lr: 0.03,
    warmupEpochs: 0,
    augment: false,
    seed: 3,
  });
  const done = await train(config);
  if (done.status !== 'completed') throw new Error(`fixture run ended ${done.status}`);
  return { dataset, run, classes };
}
