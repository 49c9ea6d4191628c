/** Forward passes in inference mode over stored pixels, batch by batch, for validation, evaluation and prediction. */
import * as tf from '@tensorflow/tfjs';
import { toModelInput } from '../data/preprocess';
import { AbortedError } from '../errors';
import type { DatasetSplit, Preprocessing } from '../types';

/**
 * Logits for stored pixels.
 * @param pixels RGB uint8 `[n, storeSize, storeSize, 3]`
 * @returns row-major `[n, numClasses]` logits (batch-norm uses its moving statistics)
 */
export async function logitsForPixels(model: tf.LayersModel, pixels: Uint8Array, n: number, prep: Preprocessing): Promise<Float32Array> {
  const s = prep.storeSize;
  const logits = tf.tidy(() => {
    const raw = tf.tensor4d(Float32Array.from(pixels), [n, s, s, 3], 'float32');
    return model.predict(toModelInput(raw, prep)) as tf.Tensor2D;
  });
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

/**
 * Runs the model over `indices` of a split in batches of `batchSize` and hands each batch's
 * logits `[batch.length, numClasses]` to `onBatch`, with the sample indices of that batch.
 * @throws AbortedError when `signal` fires (checked between batches)
 */
export async function forEachLogitsBatch(options: {
  model: tf.LayersModel;
  split: DatasetSplit;
  indices: readonly number[];
  prep: Preprocessing;
  batchSize: number;
  signal?: AbortSignal;
  onBatch: (logits: Float32Array, batch: readonly number[]) => void;
}): Promise<void> {
  const { model, split, indices, prep, batchSize, signal, onBatch } = options;
  for (let start = 0; start < indices.length; start += batchSize) {
    if (signal?.aborted) throw new AbortedError();
    const batch = indices.slice(start, start + batchSize);
    const pixels = await split.readPixels(batch);
    onBatch(await logitsForPixels(model, pixels, batch.length, prep), batch);
  }
}
