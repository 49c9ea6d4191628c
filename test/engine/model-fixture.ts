import * as tf from '@tensorflow/tfjs';

/**
 * Gives every unit's last batch-norm gamma a seeded value in [0.5, 1.5]. A fresh model starts them
 * at 0 (BatchNorm2d's zeroGamma), which makes every branch gradient exactly zero: a gradient test
 * on a fresh model would compare zeros with zeros.
 */
export function giveBranchGammas(model: tf.LayersModel): void {
  model.trainableWeights
    .filter((w) => /pw2_bn\/gamma/.test(w.originalName))
    .forEach((w, i) => w.write(tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i)));
}
