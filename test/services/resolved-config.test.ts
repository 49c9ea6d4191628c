import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEnded, type Dataset } from '../../src-main/contract';
import { TRAIN_CONFIG_DEFAULTS } from '../../src-main/contract/train-config-values';
import { PRETRAINED_ARCH } from '../../src-renderer/stores/training-config';
import { startWithFolder, TINY, type Harness } from './helpers';

/**
 * A run keeps what it asked for (issue 13: "a resolved config is stored beside the requested
 * one"): `config` stays as training.start sent it, and the engine's full config from the start
 * event, every default filled and the source model's architecture in place of the asked one, goes
 * to `resolvedConfig`, in the real database through the real ML host.
 */
let setup: Awaited<ReturnType<typeof startWithFolder>>;
let harness: Harness;
let dataset: Dataset;

beforeAll(async () => {
  setup = await startWithFolder('resolved-config', 8, 0);
  ({ harness, dataset } = setup);
}, 120_000);

afterAll(() => setup?.close());

describe('a run\'s requested and resolved config', () => {
  it('keeps the request as sent and the engine\'s config beside it', async () => {
    const requested = { ...TINY, init: 'pretrained' as const };
    const ended = harness.next('training.status', (p) => hasEnded(p.run.status), 240_000);
    const queued = await harness.client.invoke('training.start', { datasetId: dataset.id, config: requested, name: 'resolved' });
    expect(queued).toMatchObject({ config: requested, resolvedConfig: null });
    const { run } = await ended;
    expect(run).toMatchObject({ status: 'completed', error: null });
    expect(run.config).toEqual(requested);
    // The pretrained model's architecture, not the 0.25x asked for; the defaults TINY left out; no folders.
    expect(run.resolvedConfig).toMatchObject({ ...PRETRAINED_ARCH, inputSize: 16, epochs: 1, init: 'pretrained', seed: TRAIN_CONFIG_DEFAULTS.seed, momentum: TRAIN_CONFIG_DEFAULTS.momentum, headOnlyEpochs: 0 });
    expect(run.resolvedConfig).not.toHaveProperty('dataset');
    expect(run.resolvedConfig).not.toHaveProperty('outDir');
    const stored = await harness.client.invoke('runs.get', { id: run.id });
    expect(stored).toMatchObject({ config: requested, resolvedConfig: run.resolvedConfig });
  }, 300_000);
});
