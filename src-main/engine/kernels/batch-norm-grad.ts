/**
 * A cheaper gradient for tf.batchNorm (kernel FusedBatchNorm), used by tfjs-layers'
 * BatchNormalization.
 *
 * tfjs-core 4.22's gradient tiles 1/sqrt(variance) to the full input shape and builds five more
 * full-size products for the five partial derivatives. On wasm the Tile kernel alone took 30% of a
 * ShuffleNetV1 training step. Here the same derivatives come from one broadcast product for x and
 * two per-channel reductions shared by mean, variance, scale and offset:
 *   k = scale / sqrt(variance + eps)
 *   dx = dy * k                          dOffset = sum(dy)
 *   dMean = -k * sum(dy)                 dScale  = sum(dy * (x - mean)) / sqrt(variance + eps)
 *   dVariance = -k / (2 (variance + eps)) * sum(dy * (x - mean))
 * with sums over the axes that mean broadcasts along.
 *
 * tf.batchNorm without scale or offset still cannot be differentiated: tfjs-core 4.22's engine
 * clones and traces the absent input before any gradient runs, on every backend. Layers that
 * train must pass both (tfjs-layers' BatchNormalization with center or scale off fails for the
 * same reason, in its own code).
 */
import * as tf from '@tensorflow/tfjs';

function reduceTo(t: tf.Tensor, axes: number[], shape: number[]): tf.Tensor {
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const g = dy as tf.Tensor;
    const [x, mean, variance, scale] = saved;
    const epsilon = attrs.varianceEpsilon as number;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const k = tf.mul(invStd, scale);
    // Computed here, not inside the thunks: the engine runs each thunk in its own tidy, so a
    // sum shared between two thunks would be disposed by the first.
    const sumDy = reduceTo(g, axes, mean.shape);
    const sumDyCentered = reduceTo(tf.mul(g, tf.sub(x, mean)), axes, mean.shape);
    return {
      x: () => tf.reshape(tf.mul(g, k), x.shape),
      mean: () => tf.mul(tf.neg(k), sumDy),
      variance: () => tf.mul(tf.mul(k, tf.mul(tf.square(invStd), -0.5)), sumDyCentered),
      scale: () => tf.reshape(tf.mul(sumDyCentered, invStd), scale.shape),
      offset: () => tf.clone(sumDy),
    };
  },
};
