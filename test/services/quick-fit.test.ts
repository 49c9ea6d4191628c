import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEnded, type Dataset } from '../../src-main/contract';
import { startWithFolder, type Harness } from './helpers';

/**
 * The quick path from the app (issue 14): `linearProbe` in a run's settings fits a head on the
 * pretrained backbone's features instead of training, and the result is an ordinary run: one
 * epoch of metrics, a checkpoint, completed, and usable for suggestions and prediction.
 */
let setup: Awaited<ReturnType<typeof startWithFolder>>;
let harness: Harness;
let dataset: Dataset;

beforeAll(async () => {
  setup = await startWithFolder('quick-fit', 12, 4);
  ({ harness, dataset } = setup);
}, 120_000);

afterAll(() => setup?.close());

describe('quick fit (linear probe) as a run', () => {
  it('completes as a one-epoch run from the pretrained backbone, with its metrics and checkpoint', async () => {
    const epochs: number[] = [];
    const off = harness.client.subscribe('training.epoch', (e) => epochs.push(e.valAccuracy));
    const ended = harness.next('training.status', (p) => hasEnded(p.run.status), 180_000);
    await harness.client.invoke('training.start', { datasetId: dataset.id, config: { init: 'pretrained', linearProbe: true }, name: 'quick' });
    const { run } = await ended;
    off();
    expect(run).toMatchObject({ status: 'completed', epochsCompleted: 1, epochs: 1 });
    expect(run.backend).toMatch(/frozen 1x backbone, fitted head/);
    expect(run.config).toMatchObject({ init: 'pretrained', linearProbe: true });
    // The folder's cat and dog are CIFAR-10 classes: their head rows started from the pretrained model's, and the run says so.
    expect(run.knownClasses).toEqual(['cat', 'dog']);
    expect(epochs).toHaveLength(1);
    // Red against blue through a CIFAR-10 backbone: the fitted head separates them.
    expect(run.bestValAccuracy).toBeGreaterThanOrEqual(0.8);
    const detail = await harness.client.invoke('runs.get', { id: run.id });
    expect(detail.epochMetrics).toHaveLength(1);

    const done = harness.next('suggestions.done', (p) => p.datasetId === dataset.id, 120_000);
    await harness.client.invoke('suggestions.start', { datasetId: dataset.id });
    expect(await done).toMatchObject({ suggested: 4 });
  }, 240_000);

  it('refuses the quick fit from scratch with a message for the form', async () => {
    await expect(harness.client.invoke('training.start', { datasetId: dataset.id, config: { linearProbe: true } })).rejects.toThrow(
      /needs a model to start from/,
    );
  });
});
