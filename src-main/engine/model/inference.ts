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

/** Logits `[n, numClasses]` (row-major) of `n` images of stored pixels, in inference mode. */
export type LogitsFn = (pixels: Uint8Array, n: number) => Promise<Float32Array>;

/**
 * Runs `logits` over `indices` of a split in batches of `batchSize` and hands each batch's logits
 * `[batch.length, numClasses]` to `onBatch`, with the sample indices of that batch.
 * @throws AbortedError when `signal` fires (checked between batches)
 */
export async function forEachLogitsBatch(options: {
  logits: LogitsFn;
  split: DatasetSplit;
  indices: readonly number[];
  batchSize: number;
  signal?: AbortSignal;
  onBatch: (logits: Float32Array, batch: readonly number[]) => void;
}): Promise<void> {
  const { logits, split, indices, batchSize, signal, onBatch } = options;
  for (let start = 0; start < indices.length; start += batchSize) {
    if (signal?.aborted) throw new AbortedError();
    const batch = indices.slice(start, start + batchSize);
    onBatch(await logits(await split.readPixels(batch), batch.length), batch);
  }
}
