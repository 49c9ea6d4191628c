/**
 * Divergence: a run whose training loss ran away ends as 'diverged' instead of "completed" with a
 * model at chance. Measured on the "Fast CIFAR" recipe before its fix (docs/results.md): at a peak
 * lr of 0.05 the running loss went 2.6 -> 24 within the first epoch and every class was predicted
 * as one; runs that recover (the 1.0x CIFAR-10 recipe: epoch-1 mean 4.4 for 10 classes) stay
 * well under the threshold below.
 */
import type { Divergence } from '../types';

/** How far above the reference a loss may go before the run counts as diverged. */
export const DIVERGENCE_FACTOR = 3;
/** Nats above chance (ln C) that a loss may always reach, for runs with few classes. */
export const CHANCE_MARGIN = 4;

/**
 * The loss above which a run has diverged: DIVERGENCE_FACTOR times the reference, and never below
 * 2 ln(C) nor ln(C) + CHANCE_MARGIN (the true class given under e^-4, about 2%, of a uniform
 * guess's probability on average). The reference is the first epoch's mean training loss once it
 * exists, else ln(C), where a fresh model starts: so the first epoch is judged against chance
 * (6.9 for CIFAR-10's 10 classes, 5.1 for 3), the later ones against the first. With only 3 ln(C),
 * a 3-class run of 3 steps an epoch at lr 0.1 (epoch-1 mean 3.39) ended as diverged and then learned.
 */
export function divergenceThreshold(numClasses: number, firstEpochLoss: number | null): number {
  const chance = Math.log(numClasses);
  const reference = firstEpochLoss !== null && Number.isFinite(firstEpochLoss) ? firstEpochLoss : chance;
  return Math.max(2 * chance, chance + CHANCE_MARGIN, DIVERGENCE_FACTOR * reference);
}

/** A learning rate to suggest: a fifth of the one that diverged, to one significant digit. */
export function suggestedLearningRate(lr: number): number {
  return Number((lr / 5).toPrecision(1));
}

/**
 * Whether the run diverged, given the loss of the step just taken and the epoch's running mean.
 * A non-finite step loss diverges at once; a mean above the threshold only at the epoch's end:
 * the 1.0x CIFAR-10 recipe spikes to per-step losses of 20-26 while its warm-up passes lr 0.01
 * (docs/results.md) and recovers within the epoch (mean 4.4, 86.6% top-1 at the end), so a
 * mid-epoch check would end a good run.
 * @returns the divergence, or null while the run is sane
 */
export function checkDivergence(input: {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  stepLoss: number;
  runningLoss: number;
  threshold: number;
  /** The run's peak learning rate (config.lr), which the remedy scales down. */
  lr: number;
}): Divergence | null {
  const { epoch, step, stepsPerEpoch, stepLoss, runningLoss, threshold, lr } = input;
  const remedy = `lower the learning rate (try ${suggestedLearningRate(lr)} instead of ${lr})`;
  if (!Number.isFinite(stepLoss)) {
    return { epoch, step, loss: stepLoss, threshold, reason: `the training loss became ${stepLoss} at step ${step} of epoch ${epoch}`, remedy };
  }
  if (step === stepsPerEpoch && runningLoss > threshold) {
    const loss = Number(runningLoss.toPrecision(3));
    return {
      epoch,
      step,
      loss: runningLoss,
      threshold,
      reason: `the mean training loss of epoch ${epoch} was ${loss}, above ${Number(threshold.toPrecision(3))}`,
      remedy,
    };
  }
  return null;
}

/** One line for people: what happened and what to do. */
export function divergenceMessage(d: Divergence): string {
  return `Training diverged: ${d.reason}. Likely remedy: ${d.remedy}.`;
}
