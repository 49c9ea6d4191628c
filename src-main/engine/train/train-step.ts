/** One optimizer step with gradient accumulation over micro-batches. */
import * as tf from '@tensorflow/tfjs';
import { toModelInput } from '../data/preprocess';
import { BatchNorm2d } from '../model/batch-norm';
import type { Preprocessing } from '../types';
import { isHeadWeight } from './fine-tune';
import { smoothedCrossEntropy } from './loss';
import { microBatchRanges } from './micro-batch';
import type { MomentumSgd } from './sgd';

export interface StepContext {
  model: tf.LayersModel;
  /** The model's trainable variables, in `model.trainableWeights` order. */
  variables: tf.Variable[];
  sgd: MomentumSgd;
  prep: Preprocessing;
  labelSmoothing: number;
  microBatchSize: number;
}

export interface StepResult {
  /** Sum of the per-sample training losses (label-smoothed) over the batch. */
  lossSum: number;
  correct: number;
  count: number;
}

/** Index of the largest of the `width` values of row `row` (the first one on ties). */
export function argmaxRow(values: Float32Array, row: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (values[row * width + j] > values[row * width + best]) best = j;
  return best;
}

/**
 * Forward and backward pass per micro-batch in training mode (batch-norm normalises with the
 * micro-batch's statistics and updates its moving averages), gradients summed across
 * micro-batches, then one SGD update at `lr`. With `headOnly` (a fine-tune's first epochs:
 * train/fine-tune.ts) the model runs in inference mode and only the head's weights get gradients,
 * so the backbone's weights and moving statistics stay as they are.
 *
 * Each micro-batch's loss is its summed per-sample loss divided by the whole batch size, so the
 * summed gradient equals the gradient of the batch's mean loss: the update is the one a single
 * pass over the batch would make, apart from batch-norm statistics.
 * @param pixels RGB uint8 `[n, storeSize, storeSize, 3]` (already augmented)
 * @param labels `[n]` class indices
 */
export async function trainStep(ctx: StepContext, pixels: Uint8Array, labels: Int32Array, lr: number, headOnly = false): Promise<StepResult> {
  const n = labels.length;
  const s = ctx.prep.storeSize;
  const imageSize = s * s * 3;
  const ranges = microBatchRanges(n, ctx.microBatchSize);
  const variables = headOnly ? ctx.model.trainableWeights.filter((w) => isHeadWeight(w.originalName)).map((w) => w.read() as tf.Variable) : ctx.variables;
  for (const layer of ctx.model.layers) {
    if (layer instanceof BatchNorm2d) layer.movingAverageUpdates = ctx.sgd.step * ranges.length;
  }
  let accumulated: tf.NamedTensorMap | null = null;
  let lossSum = 0;
  let correct = 0;
  for (const { start, end } of ranges) {
    const m = end - start;
    let logits: tf.Tensor2D | null = null;
    const { value, grads } = tf.tidy(() => {
      const raw = tf.tensor4d(Float32Array.from(pixels.subarray(start * imageSize, end * imageSize)), [m, s, s, 3], 'float32');
      const x = toModelInput(raw, ctx.prep);
      const y = tf.tensor1d(labels.subarray(start, end), 'int32');
      return tf.variableGrads(() => {
        const out = ctx.model.apply(x, { training: !headOnly }) as tf.Tensor2D;
        logits = tf.keep(out);
        return smoothedCrossEntropy(out, y, ctx.labelSmoothing, n);
      }, variables);
    });
    const kept = logits as tf.Tensor2D | null;
    if (!kept) throw new Error('trainStep: the model produced no logits');
    const [lossValue, logitValues] = await Promise.all([value.data(), kept.data() as Promise<Float32Array>]);
    const numClasses = kept.shape[1];
    tf.dispose([value, kept]);
    lossSum += lossValue[0] * n;
    for (let i = 0; i < m; i++) if (argmaxRow(logitValues, i, numClasses) === labels[start + i]) correct += 1;
    if (accumulated === null) {
      accumulated = grads;
    } else {
      for (const name of Object.keys(grads)) {
        const sum = tf.add(accumulated[name], grads[name]);
        tf.dispose([accumulated[name], grads[name]]);
        accumulated[name] = sum;
      }
    }
  }
  if (accumulated) {
    ctx.sgd.apply(accumulated, lr);
    tf.dispose(Object.values(accumulated));
  }
  return { lossSum, correct, count: n };
}
