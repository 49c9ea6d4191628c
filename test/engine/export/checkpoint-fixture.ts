import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src-main/engine/data/augment';
import { defaultPreprocessing, toModelInput } from '../../../src-main/engine/data/preprocess';
import { saveModelToDir } from '../../../src-main/engine/model/file-io';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import { onnxRuntimeStatus } from '../../../src-main/engine/onnx/onnx-runtime';
import { defaultTrainConfig } from '../../../src-main/engine/train/config';
import type { CheckpointManifest, ModelConfig, Preprocessing } from '../../../src-main/engine/types';

/** Why ONNX Runtime tests skip here, or null when it loads. */
export function onnxSkipReason(): string | null {
  const status = onnxRuntimeStatus();
  return status.available ? null : `onnxruntime-node cannot load (${status.reason}); skipping ONNX Runtime checks`;
}

/** The shared real datasets (env SHUFFLENET_DATASETS or ../shared/datasets), or null when absent. */
export function sharedDatasets(): string | null {
  const dir = process.env.SHUFFLENET_DATASETS ?? path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/datasets');
  return existsSync(dir) ? dir : null;
}

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * Gives every batch norm non-trivial statistics and affine parameters and the classifier a bias,
 * so folding them into the ONNX convolutions is really exercised. Seeded.
 */
function randomiseBatchNorms(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'BatchNorm2d') {
      const c = layer.getWeights()[0].shape[0];
      const values = (f: () => number) => tf.tensor1d(Array.from({ length: c }, f));
      const weights = [values(() => 0.5 + rng()), values(() => 0.2 * gaussian(rng)), values(() => 0.2 * gaussian(rng)), values(() => 0.5 + rng())];
      layer.setWeights(weights);
      tf.dispose(weights);
    } else if (layer.name === 'classifier') {
      const [kernel, bias] = layer.getWeights();
      const newBias = tf.tensor1d(Array.from({ length: bias.shape[0] }, () => 0.1 * gaussian(rng)));
      layer.setWeights([kernel, newBias]);
      newBias.dispose();
    }
  }
}

/**
 * Sets the batch-norm moving statistics from real images, as training would settle them: one
 * training-mode forward pass with the moving-average momentum at 0, so every layer's moving mean
 * and variance become exactly these images' statistics (momentum restored afterwards).
 * @param pixels RGB uint8 `[n, storeSize, storeSize, 3]`
 */
export function calibrateBatchNorms(model: tf.LayersModel, pixels: Uint8Array, n: number, prep: Preprocessing): void {
  const norms = model.layers.filter((l) => l.getClassName() === 'BatchNorm2d') as unknown as { momentum: number }[];
  const momenta = norms.map((l) => l.momentum);
  norms.forEach((l) => (l.momentum = 0));
  const s = prep.storeSize;
  tf.tidy(() => {
    const x = toModelInput(tf.tensor4d(Float32Array.from(pixels), [n, s, s, 3]), prep);
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
  });
  norms.forEach((l, i) => (l.momentum = momenta[i]));
}

/**
 * Writes a checkpoint folder (model.json, weights.bin, manifest.json) of an untrained ShuffleNet
 * with randomised batch norms, and returns the folder, the model (the caller disposes it) and
 * the manifest. `prepare` may change the model (e.g. calibrate it) before it is saved.
 */
export async function writeCheckpoint(
  dir: string,
  model: ModelConfig,
  options: { classes?: string[]; seed?: number; prep?: Partial<Preprocessing>; prepare?: (m: tf.LayersModel, prep: Preprocessing) => void } = {},
): Promise<{ dir: string; model: tf.LayersModel; manifest: CheckpointManifest }> {
  const classes = options.classes ?? Array.from({ length: model.numClasses }, (_, i) => `class${i}`);
  const built = buildShuffleNetV1(model);
  randomiseBatchNorms(built, options.seed ?? 7);
  const prep: Preprocessing = { ...defaultPreprocessing({ format: 'image-folder', inputSize: model.inputSize }), ...options.prep };
  options.prepare?.(built, prep);
  const config = defaultTrainConfig({ dataset: '', outDir: dir, scale: model.scale, groups: model.groups, stem: model.stem, inputSize: model.inputSize });
  const manifest: CheckpointManifest = {
    formatVersion: 1,
    createdAt: new Date(0).toISOString(),
    epoch: 1,
    config,
    model,
    preprocessing: prep,
    classes,
    metrics: [],
    backend: tf.getBackend(),
  };
  await mkdir(dir, { recursive: true });
  await saveModelToDir(built, dir);
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, model: built, manifest };
}
