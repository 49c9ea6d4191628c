/** A trained backbone as a feature extractor: the pooled activations in front of the head. */
import * as tf from '@tensorflow/tfjs';
import { forEachLogitsBatch, logitsForPixels } from '../model/inference';
import { mirrorPixels } from '../runtime/tta';
import type { DatasetSplit, Preprocessing } from '../types';

/** The global average pool that feeds the classifier (model/shufflenet.ts). */
export const FEATURE_LAYER = 'pool';

/** A model that shares `model`'s layers and stops at the pooled features `[batch, channels]`. */
export function featureModel(model: tf.LayersModel): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER).output as tf.SymbolicTensor });
}

/** Width of the pooled features: the channels of the last stage. */
export function featureWidth(model: tf.LayersModel): number {
  const shape = model.getLayer(FEATURE_LAYER).outputShape as number[];
  return shape[shape.length - 1];
}

/**
 * Pooled features of `indices` of a split, in inference mode (batch norm on its moving statistics).
 * With `mirror`, each is the mean of the image's and its mirror's, both from one read of the batch's
 * pixels: a steadier feature (the training's random flips taught the backbone both), which made the
 * audit's cross-validated heads more accurate on CIFAR-10 (docs/results.md).
 * @returns row-major `[indices.length, featureWidth]`
 * @throws AbortedError when `signal` fires (checked between batches)
 */
export async function featuresOf(
  model: tf.LayersModel,
  split: DatasetSplit,
  indices: readonly number[],
  prep: Preprocessing,
  options: { batchSize?: number; mirror?: boolean; signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<Float32Array> {
  const features = featureModel(model);
  const width = featureWidth(model);
  const out = new Float32Array(indices.length * width);
  let done = 0;
  await forEachLogitsBatch({
    logits: async (pixels, n) => {
      const plain = await logitsForPixels(features, pixels, n, prep);
      if (!options.mirror) return plain;
      const mirrored = await logitsForPixels(features, mirrorPixels(pixels, n, prep.storeSize), n, prep);
      for (let i = 0; i < plain.length; i++) plain[i] = (plain[i] + mirrored[i]) / 2;
      return plain;
    },
    split,
    indices,
    batchSize: options.batchSize ?? 64,
    signal: options.signal,
    onBatch: (rows, batch) => {
      out.set(rows, done * width);
      done += batch.length;
      options.onProgress?.(done);
    },
  });
  return out;
}
