import type { Run } from '../api/types';
import { percent } from './format';

/**
 * A run in a picker or a sentence: `Run “pets #2” (91.0% val.)`. The name as the Training view's
 * run list and start-from picker write it, with the best validation accuracy as the Evaluation
 * view's checkpoint picker writes it, so a person can tell two runs of one dataset apart.
 */
export function runLabel(run: Pick<Run, 'name' | 'bestValAccuracy'>): string {
  const accuracy = run.bestValAccuracy == null ? '' : ` (${percent(run.bestValAccuracy)} val.)`;
  return `Run “${run.name}”${accuracy}`;
}
