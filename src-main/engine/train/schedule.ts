/**
 * Learning-rate schedule of the MindSpore ShuffleNetV1 tutorial: linear warm-up to the peak rate
 * for `warmupEpochs`, then cosine annealing to 0 at the end of the last epoch. The rate changes
 * every optimizer step (not once per epoch), so short runs still see a smooth curve.
 */

export interface ScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  epochs: number;
  warmupEpochs: number;
  stepsPerEpoch: number;
}

/**
 * Learning rate for the 0-based optimizer `step` (counted across epochs).
 * Warm-up: `lr * (step + 1) / warmupSteps`, so the first step already moves the weights and the
 * last warm-up step uses the peak rate. Cosine: `lr * (1 + cos(pi * t)) / 2` with
 * `t = (step - warmupSteps) / (totalSteps - warmupSteps)`, which starts at the peak and would reach
 * 0 at `totalSteps` (one past the last step).
 */
export function learningRateAt(step: number, options: ScheduleOptions): number {
  const { lr, epochs, warmupEpochs, stepsPerEpoch } = options;
  const totalSteps = Math.max(1, Math.round(epochs * stepsPerEpoch));
  const warmupSteps = Math.min(totalSteps, Math.max(0, Math.round(warmupEpochs * stepsPerEpoch)));
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const decaySteps = totalSteps - warmupSteps;
  if (decaySteps <= 0) return lr;
  const t = Math.min(1, (step - warmupSteps) / decaySteps);
  return (lr * (1 + Math.cos(Math.PI * t))) / 2;
}
