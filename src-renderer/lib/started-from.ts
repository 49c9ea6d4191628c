import type { Run } from '../api/types';
import { runName } from './run-label';

/**
 * What a run started from, in words, for the run list and the run's settings: scratch, the
 * shipped pretrained model or an earlier run, and how it was tuned from there.
 */
export function startedFrom(config: Run['config'], runs: readonly Pick<Run, 'id' | 'name'>[]): { source: string; tuning: string | null } {
  const init = config.init;
  const source =
    init === undefined || init === 'scratch'
      ? 'Scratch'
      : init === 'pretrained'
        ? 'Pretrained (CIFAR-10)'
        : runName({ name: runs.find((r) => r.id === init)?.name ?? `#${init}` });
  if (init === undefined || init === 'scratch') return { source, tuning: null };
  if (config.linearProbe) return { source, tuning: 'quick fit: new head only' };
  const parts = [
    config.headOnlyEpochs ? `head only for ${config.headOnlyEpochs} epoch${config.headOnlyEpochs === 1 ? '' : 's'}` : null,
    config.backboneLrScale !== undefined && config.backboneLrScale !== 1 ? `backbone at ${config.backboneLrScale}× the rate` : null,
  ].filter(Boolean);
  return { source, tuning: parts.length ? parts.join(', ') : 'all layers fine-tuned' };
}
