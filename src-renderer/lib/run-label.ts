import type { Run } from '../api/types';
import { percent } from './format';

/** A run in a sentence or a picker, the one way the views name it: `Run “pets #2”`. */
export function runName(run: Pick<Run, 'name'>): string {
  return `Run “${run.name}”`;
}

/**
 * A run where two runs of one dataset must be told apart: `Run “pets #2” (91.0% val.)`, with the
 * best validation accuracy as the Evaluation view's checkpoint picker writes it.
 */
export function runLabel(run: Pick<Run, 'name' | 'bestValAccuracy'>): string {
  const accuracy = run.bestValAccuracy == null ? '' : ` (${percent(run.bestValAccuracy)} val.)`;
  return `${runName(run)}${accuracy}`;
}
