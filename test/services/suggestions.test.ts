import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEnded, type Dataset, type Run } from '../../src-main/contract';
import { classIdsBySnapshotName, prepareTrainingData } from '../../src-main/services/training-data';
import { startWithFolder, TINY, type Harness } from './helpers';

/**
 * Suggested labels end to end on the real services: a real tiny run in the real ML host predicts
 * the unlabeled images, the guesses are stored, listed least certain first, accepted above a
 * cut-off and undone; the status says when the labels moved on after the run started.
 */
let setup: Awaited<ReturnType<typeof startWithFolder>>;
let harness: Harness;
let dataset: Dataset;
let run: Run;

beforeAll(async () => {
  setup = await startWithFolder('suggest', 8, 6);
  ({ harness, dataset } = setup);
  const ended = harness.next('training.status', (p) => hasEnded(p.run.status), 240_000);
  run = await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, epochs: 2 }, name: 'tiny' });
  expect((await ended).run.status).toBe('completed');
}, 300_000);

afterAll(() => setup?.close());

const unlabeledFilter = { classId: null };

describe('suggestions', () => {
  it('before any suggestion: the status names the newest run and no suggestions', async () => {
    const status = await harness.client.invoke('suggestions.status', { datasetId: dataset.id });
    expect(status).toMatchObject({ datasetId: dataset.id, run: null, count: 0, newestRun: { id: run.id, name: 'tiny' }, jobId: null });
  });

  it('predicts every unlabeled image, lists them least certain first, and accepts above a cut-off with an undo', async () => {
    const done = harness.next('suggestions.done', (p) => p.datasetId === dataset.id, 120_000);
    const { total } = await harness.client.invoke('suggestions.start', { datasetId: dataset.id });
    expect(total).toBe(6);
    expect(await done).toMatchObject({ suggested: 6 });

    const listed = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: unlabeledFilter, order: 'least-certain' });
    const margins = listed.items.map((item) => item.suggestion?.margin ?? Number.NaN);
    expect(margins.every(Number.isFinite)).toBe(true);
    expect([...margins].sort((a, b) => a - b)).toEqual(margins);
    const classIds = new Set(dataset.classes.map((c) => c.id));
    for (const item of listed.items) expect(classIds.has(item.suggestion!.classId)).toBe(true);
    // Labeled images carry no suggestion: it is a guess for the person, not a second label.
    const labeled = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: dataset.classes[0].id } });
    expect(labeled.items.every((item) => item.suggestion === undefined)).toBe(true);

    const status = await harness.client.invoke('suggestions.status', { datasetId: dataset.id });
    expect(status).toMatchObject({ run: { id: run.id }, count: 6, labelsChangedSince: 0 });

    const sure = listed.items.filter((item) => item.suggestion!.confidence >= 0.5).length;
    const accepted = await harness.client.invoke('suggestions.accept', { datasetId: dataset.id, minConfidence: 0.5 });
    expect(accepted.updated).toBe(sure);
    const after = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: unlabeledFilter });
    expect(after.total).toBe(6 - sure);
    const stale = await harness.client.invoke('suggestions.status', { datasetId: dataset.id });
    expect(stale.labelsChangedSince).toBe(sure);

    const undone = await harness.client.invoke('suggestions.undoAccept', { acceptId: accepted.acceptId! });
    expect(undone.restored).toBe(sure);
    expect((await harness.client.invoke('images.list', { datasetId: dataset.id, filter: unlabeledFilter })).total).toBe(6);
    await expect(harness.client.invoke('suggestions.undoAccept', { acceptId: accepted.acceptId! })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('each guess is the mirror-averaged prediction (flip test-time augmentation), as folder prediction gives it', async () => {
    const listed = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: unlabeledFilter });
    const folder = join(listed.items[0].path, '..');
    const predicted = async (tta: 'none' | 'flip') => {
      const done = harness.next('predict.done');
      const { jobId } = await harness.client.invoke('predict.start', { runId: run.id, folder, tta });
      await done;
      const items = (await harness.client.invoke('predict.list', { jobId })).items;
      return new Map(items.map((item) => [item.path, 'top' in item ? item.top[0].probability : Number.NaN]));
    };
    const flipped = await predicted('flip');
    const plain = await predicted('none');
    for (const item of listed.items) {
      expect(item.suggestion!.confidence).toBeCloseTo(flipped.get(item.path)!, 5);
    }
    // The fixture's images are not mirror-symmetric, so the plain pass would give other numbers.
    expect(listed.items.some((item) => Math.abs(item.suggestion!.confidence - plain.get(item.path)!) > 1e-4)).toBe(true);
  });

  it('a cut-off nothing reaches labels nothing and offers no undo', async () => {
    const result = await harness.client.invoke('suggestions.accept', { datasetId: dataset.id, minConfidence: 1 });
    expect(result).toEqual({ updated: 0, acceptId: null });
  });

  it('random order is a fixed shuffle: every image once across pages, the same on every call', async () => {
    const all = async () => {
      const ids: number[] = [];
      for (let offset = 0, total = 1; offset < total; offset += 5) {
        const page = await harness.client.invoke('images.list', { datasetId: dataset.id, order: 'random', offset, limit: 5 });
        total = page.total;
        ids.push(...page.items.map((i) => i.id));
      }
      return ids;
    };
    const first = await all();
    expect(await all()).toEqual(first);
    expect(first).toHaveLength(22);
    expect(new Set(first).size).toBe(22);
    expect(first).not.toEqual([...first].sort((a, b) => a - b));
  });

  it('select all gives every id in the filter; excluded images leave training but stay in the dataset', async () => {
    const { ids } = await harness.client.invoke('images.ids', { datasetId: dataset.id, filter: { classId: dataset.classes[0].id } });
    expect(ids).toHaveLength(8);
    await harness.client.invoke('images.setExcluded', { imageIds: ids.slice(0, 2), excluded: true });
    const listed = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: dataset.classes[0].id } });
    expect(listed.items.filter((item) => item.excluded).map((item) => item.id)).toEqual(ids.slice(0, 2));
    const { storage } = harness.services;
    const tree = await prepareTrainingData(storage, storage.datasets.get(dataset.id)!, join(setup.dataDir, 'exclude-check'));
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(tree, dataset.classes[0].name))).toHaveLength(6);
    await harness.client.invoke('images.setExcluded', { imageIds: ids.slice(0, 2), excluded: false });
  });

  it('knows a class by the folder name a run gave it, so a name no file system takes still gets its suggestions', async () => {
    const odd = await harness.client.invoke('classes.create', { datasetId: dataset.id, name: 'cats/dogs.' });
    const byName = classIdsBySnapshotName(harness.services.storage, dataset.id);
    expect(byName.get('cats_dogs')).toBe(odd.id);
    expect(byName.get('cats/dogs.')).toBe(odd.id);
  });

  it('says clearly when there is nothing to suggest from or for', async () => {
    await expect(harness.client.invoke('suggestions.start', { datasetId: dataset.id, runId: 9999 })).rejects.toMatchObject({ code: 'not-found' });
    await expect(harness.client.invoke('suggestions.cancel', { jobId: 'nope' })).rejects.toMatchObject({ code: 'not-found' });
  });
});
