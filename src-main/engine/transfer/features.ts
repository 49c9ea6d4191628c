/** A trained backbone as a feature extractor: the pooled activations in front of the head. */
import * as tf from '@tensorflow/tfjs';
import { forEachLogitsBatch, logitsForPixels } from '../model/inference';
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
 * @returns row-major `[indices.length, featureWidth]`
 */
export async function featuresOf(
  model: tf.LayersModel,
  split: DatasetSplit,
  indices: readonly number[],
  prep: Preprocessing,
  options: { batchSize?: number; signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<Float32Array> {
  const features = featureModel(model);
  const width = featureWidth(model);
  const out = new Float32Array(indices.length * width);
  let done = 0;
  await forEachLogitsBatch({
    logits: (pixels, n) => logitsForPixels(features, pixels, n, prep),
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
