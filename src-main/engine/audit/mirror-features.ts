/**
 * Each image's features averaged with its mirror's (test-time augmentation, as the training's
 * random flips taught the backbone): a steadier feature, which made the cross-validated heads more
 * accurate on CIFAR-10 (docs/results.md). Both come from one read of each batch's pixels, so an
 * image is decoded once for the two.
 */
import type * as tf from '@tensorflow/tfjs';
import { featureModel, featureWidth } from '../transfer/features';
import { forEachLogitsBatch, logitsForPixels } from '../model/inference';
import type { DatasetSplit, Preprocessing } from '../types';

/** The batch featuresOf runs at: the same batches give the same features to the bit. */
const BATCH = 64;

/** `pixels` (`[n, storeSize, storeSize, 3]` RGB) with every image mirrored left to right. */
export function mirrorPixels(pixels: Uint8Array, storeSize: number): Uint8Array {
  const out = new Uint8Array(pixels.length);
  const s = storeSize;
  for (let row = 0; row < pixels.length / (s * 3); row++) {
    for (let x = 0; x < s; x++) {
      const from = (row * s + (s - 1 - x)) * 3;
      const to = (row * s + x) * 3;
      out[to] = pixels[from];
      out[to + 1] = pixels[from + 1];
      out[to + 2] = pixels[from + 2];
    }
  }
  return out;
}

/**
 * Pooled features of `indices` of a split, each the mean of the image's and its mirror's, in
 * inference mode.
 * @returns row-major `[indices.length, featureWidth]`
 * @throws AbortedError when `signal` fires (checked between batches)
 */
export async function mirrorMeanFeatures(
  model: tf.LayersModel,
  split: DatasetSplit,
  indices: readonly number[],
  prep: Preprocessing,
  options: { signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<Float32Array> {
  const net = featureModel(model);
  const width = featureWidth(model);
  const out = new Float32Array(indices.length * width);
  let done = 0;
  await forEachLogitsBatch({
    logits: async (pixels, n) => {
      const features = await logitsForPixels(net, pixels, n, prep);
      const mirrored = await logitsForPixels(net, mirrorPixels(pixels, prep.storeSize), n, prep);
      for (let i = 0; i < features.length; i++) features[i] = (features[i] + mirrored[i]) / 2;
      return features;
    },
    split,
    indices,
    batchSize: BATCH,
    signal: options.signal,
    onBatch: (rows, batch) => {
      out.set(rows, done * width);
      done += batch.length;
      options.onProgress?.(done);
    },
  });
  return out;
}
