/**
 * Cross-entropy on logits with label smoothing, the training objective of the tutorial
 * (`CrossEntropySmooth`): the target puts `1 - smoothing + smoothing / C` on the true class and
 * `smoothing / C` on every other one.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Per-sample smoothed cross-entropy.
 * @param logits `[n, numClasses]` float32 (not softmaxed)
 * @param labels `[n]` int32 class indices
 * @param smoothing in [0, 1); 0 gives plain cross-entropy
 * @returns `[n]` float32 losses
 */
export function smoothedCrossEntropyPerSample(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number): tf.Tensor1D {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const target = tf
      .oneHot(labels.toInt(), numClasses)
      .toFloat()
      .mul(1 - smoothing)
      .add(smoothing / numClasses);
    return tf.logSoftmax(logits).mul(target).sum(1).neg() as tf.Tensor1D;
  });
}

/**
 * Smoothed cross-entropy summed over the batch and divided by `divisor` (defaults to `n`, the
 * mean). Gradient accumulation passes the full batch size so that micro-batch gradients add up to
 * the gradient of the whole batch's mean loss.
 * @returns scalar float32
 */
export function smoothedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number, divisor: number = logits.shape[0]): tf.Scalar {
  return tf.tidy(() => smoothedCrossEntropyPerSample(logits, labels, smoothing).sum().div(divisor) as tf.Scalar);
}

/**
 * The same loss in plain JavaScript (float64) for logits already downloaded, so evaluation can
 * keep running sums without extra tensors.
 * @param logits row-major `[numClasses]` logits of one sample
 */
export function smoothedCrossEntropyOf(logits: ArrayLike<number>, label: number, smoothing: number): number {
  const c = logits.length;
  let max = -Infinity;
  for (let j = 0; j < c; j++) max = Math.max(max, logits[j]);
  let sumExp = 0;
  for (let j = 0; j < c; j++) sumExp += Math.exp(logits[j] - max);
  const logZ = max + Math.log(sumExp);
  let loss = 0;
  for (let j = 0; j < c; j++) {
    const target = (j === label ? 1 - smoothing : 0) + smoothing / c;
    loss -= target * (logits[j] - logZ);
  }
  return loss;
}
