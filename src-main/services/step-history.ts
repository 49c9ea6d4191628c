import type { BatchMetrics } from '../contract';
import { appendStep } from '../contract/step-points';

/**
 * The per-step metrics of the runs this server trained, so a reload or a second tab redraws the
 * live charts from the first step. Epoch metrics live in the database; steps (four a second) only
 * here: after a restart no run is still training, and the charts draw a finished run's epochs.
 */
export class StepHistory {
  private readonly byRun = new Map<number, BatchMetrics[]>();

  add(runId: number, batch: BatchMetrics): void {
    this.byRun.set(runId, appendStep(this.byRun.get(runId) ?? [], batch));
  }

  get(runId: number): BatchMetrics[] | undefined {
    return this.byRun.get(runId);
  }

  forget(runId: number): void {
    this.byRun.delete(runId);
  }
}
