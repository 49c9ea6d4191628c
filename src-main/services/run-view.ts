import type { EpochMetrics, Run } from '../contract';
import type { EpochMetricsRow, RunRow } from '../storage';

/** @param queuePosition place in line of a run waiting for another to finish (TrainingService knows it) */
export function runView(row: RunRow, queuePosition: number | null = null): Run {
  return {
    id: row.id,
    datasetId: row.datasetId,
    name: row.name,
    status: row.status,
    config: row.config,
    resolvedConfig: row.resolvedConfig,
    error: row.error,
    backend: row.backend,
    classes: row.classes,
    knownClasses: row.knownClasses,
    epochsCompleted: row.epochsCompleted,
    epochs: row.epochs,
    bestValAccuracy: row.bestValAccuracy,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    durationSec: row.durationSec,
    checkpointDir: row.checkpointDir,
    queuePosition,
    divergence: row.divergence,
  };
}

export const epochView = (row: EpochMetricsRow): EpochMetrics => ({ ...row });
