/**
 * Which checkpoint folder holds a run's best epoch. Free of TensorFlow.js, so the services (which
 * evaluate the best checkpoint by default) and the engine (which never prunes it) share one rule.
 */
import path from 'node:path';

export const CHECKPOINTS_DIR = 'checkpoints';

/** `epoch-0003` at an epoch's end, `epoch-0003-step-000012` in the middle of the fourth. */
export function checkpointName(epochsCompleted: number, stepInEpoch: number): string {
  const epoch = `epoch-${String(epochsCompleted).padStart(4, '0')}`;
  return stepInEpoch > 0 ? `${epoch}-step-${String(stepInEpoch).padStart(6, '0')}` : epoch;
}

/**
 * The epoch with the highest validation accuracy, the first of equals (as the run's
 * `bestValAccuracy` counts it); null before the first epoch ends.
 */
export function bestEpoch(metrics: readonly { epoch: number; valAccuracy: number }[]): { epoch: number; valAccuracy: number } | null {
  let best: { epoch: number; valAccuracy: number } | null = null;
  for (const m of metrics) if (!best || m.valAccuracy > best.valAccuracy) best = { epoch: m.epoch, valAccuracy: m.valAccuracy };
  return best;
}

/** The folder of the end-of-epoch checkpoint of `epoch` in a run folder. */
export const epochCheckpointDir = (runDir: string, epoch: number): string => path.join(runDir, CHECKPOINTS_DIR, checkpointName(epoch, 0));
