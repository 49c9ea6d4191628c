/** One optimizer step with gradient accumulation over micro-batches, on the tfjs backend (the Trainer of step/trainer.ts). */
import * as tf from '@tensorflow/tfjs';
import { toModelInput } from '../data/preprocess';
import { BatchNorm2d } from '../model/batch-norm';
import { logitsForPixels } from '../model/inference';
import type { CheckpointModelInfo, Preprocessing } from '../types';
import { isHeadWeight } from '../step/fine-tune';
import { smoothedCrossEntropy } from '../metrics/loss';
import { microBatchRanges } from '../step/micro-batch';
import type { MomentumSgd } from '../step/sgd';
import { argmaxRow, type StepOptions, type StepResult, type Trainer } from '../step/trainer';

export interface StepContext {
  model: tf.LayersModel;
  /** The model's trainable variables, in `model.trainableWeights` order. */
  variables: tf.Variable[];
  sgd: MomentumSgd;
  prep: Preprocessing;
  labelSmoothing: number;
  microBatchSize: number;
}

/**
 * Forward and backward pass per micro-batch in training mode (batch-norm normalises with the
 * micro-batch's statistics and updates its moving averages), gradients summed across
 * micro-batches, then one SGD update at `lr`. With `headOnly` (a fine-tune's first epochs:
 * step/fine-tune.ts) the model runs in inference mode and only the head's weights get gradients,
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

/** Steps on the tfjs backend. The model and optimizer are themselves the record: nothing to sync or free. */
export class TfjsTrainer implements Trainer {
  constructor(
    private readonly session: Omit<StepContext, 'prep' | 'labelSmoothing'>,
    readonly detail: string,
  ) {}

  step(pixels: Uint8Array, labels: Int32Array, lr: number, options: StepOptions): Promise<StepResult> {
    const { prep, labelSmoothing } = options;
    return trainStep({ ...this.session, prep, labelSmoothing }, pixels, labels, lr, options.headOnly ?? false);
  }

  async sync(): Promise<void> {}

  async validationLogits(info: CheckpointModelInfo): ReturnType<Trainer['validationLogits']> {
    const { model } = this.session;
    return { logits: (pixels, n) => logitsForPixels(model, pixels, n, info.preprocessing), release: async () => undefined };
  }

  async dispose(): Promise<void> {}
}
