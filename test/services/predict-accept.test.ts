import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeDir, startHarness, tempDir, type Harness } from './helpers';

/**
 * predict.accept and predict.undoAccept on the real services and a real SQLite file. The prediction
 * rows are written straight into storage (no model needed): what is under test is what an accept
 * changes in the dataset and that its undo puts back exactly that.
 */
let dataDir: string;
let harness: Harness;
const root = '/data/pets';

beforeEach(() => {
  dataDir = tempDir('accept');
  harness = startHarness(dataDir);
});
afterEach(() => {
  harness.close();
  removeDir(dataDir);
});

function seed() {
  const { storage } = harness.services;
  const datasetId = storage.datasets.create({
    name: 'pets',
    kind: 'folder',
    root,
    classes: ['cat'],
    images: [
      { sampleKey: 'cat/1.png', path: join(root, 'cat/1.png'), classPosition: 0 },
      { sampleKey: 'loose-1.png', path: join(root, 'loose-1.png'), classPosition: null },
      { sampleKey: 'loose-2.png', path: join(root, 'loose-2.png'), classPosition: null },
    ],
  });
  const run = storage.runs.create({ datasetId, name: 'r', config: {}, epochs: 1, runDir: join(dataDir, 'runs', '1') });
  storage.predictions.createJob('job-1', run.id, root);
  const add = (path: string, label: string, probability: number) => storage.predictions.addItem('job-1', path, [{ label, probability }], null);
  const ids = {
    looseDog: add(join(root, 'loose-1.png'), 'dog', 0.9),
    looseCat: add(join(root, 'loose-2.png'), 'cat', 0.4),
    labeledCat: add(join(root, 'cat/1.png'), 'dog', 0.95),
    outsideBird: add('/incoming/bird.png', 'bird', 0.8),
  };
  storage.predictions.finishJob('job-1', 'completed');
  return { datasetId, ids };
}

const labelsOf = (harness: Harness, datasetId: number) =>
  harness.services.storage.images
    .list(datasetId, {}, 0, 100)
    .rows.map((row) => [row.sampleKey, row.classId === null ? null : harness.services.storage.images.getClass(row.classId)?.name]);

describe('predict.accept', () => {
  it('takes exactly the ids it is sent, names the dataset, and leaves labels the person gave', async () => {
    const { datasetId, ids } = seed();
    const before = labelsOf(harness, datasetId);
    const result = await harness.client.invoke('predict.accept', { jobId: 'job-1', datasetId, itemIds: [ids.looseDog, ids.labeledCat, ids.outsideBird] });
    expect(result).toMatchObject({ added: 2, datasetId, datasetName: 'pets', acceptId: expect.any(String) });
    expect(labelsOf(harness, datasetId)).toEqual([
      ['cat/1.png', 'cat'],
      ['loose-1.png', 'dog'],
      ['loose-2.png', null],
      ['/incoming/bird.png', 'bird'],
    ]);

    const undone = await harness.client.invoke('predict.undoAccept', { acceptId: result.acceptId! });
    expect(undone).toEqual({ restored: 2, datasetId, datasetName: 'pets' });
    expect(labelsOf(harness, datasetId)).toEqual(before);
    // The classes the accept created are gone again; the dataset's own stay.
    expect(harness.services.storage.datasets.classes(datasetId).map((c) => c.name)).toEqual(['cat']);
    await expect(harness.client.invoke('predict.undoAccept', { acceptId: result.acceptId! })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('undo leaves alone an image the person relabeled after the accept', async () => {
    const { datasetId, ids } = seed();
    const { acceptId } = await harness.client.invoke('predict.accept', { jobId: 'job-1', datasetId, itemIds: [ids.looseDog, ids.looseCat] });
    const loose2 = harness.services.storage.images.bySampleKey(datasetId, 'loose-2.png')!;
    const dog = harness.services.storage.images.classByName(datasetId, 'dog')!;
    await harness.client.invoke('labels.assign', { imageIds: [loose2.id], classId: dog.id });
    const { restored } = await harness.client.invoke('predict.undoAccept', { acceptId: acceptId! });
    expect(restored).toBe(1);
    expect(labelsOf(harness, datasetId)).toEqual([
      ['cat/1.png', 'cat'],
      ['loose-1.png', null],
      ['loose-2.png', 'dog'],
    ]);
    // "dog" holds the person's label now, so it stays.
    expect(harness.services.storage.datasets.classes(datasetId).map((c) => c.name)).toEqual(['cat', 'dog']);
  });

  it('an accept that changes nothing offers no undo', async () => {
    const { datasetId, ids } = seed();
    expect(await harness.client.invoke('predict.accept', { jobId: 'job-1', datasetId, itemIds: [ids.labeledCat] })).toEqual({
      added: 0,
      acceptId: null,
      datasetId,
      datasetName: 'pets',
    });
  });

  it('an undo outlives a restart of the app, and only the newest 20 accepts keep theirs', async () => {
    const { datasetId, ids } = seed();
    const { acceptId } = await harness.client.invoke('predict.accept', { jobId: 'job-1', datasetId, itemIds: [ids.looseDog] });
    const before = labelsOf(harness, datasetId);
    harness.close();
    harness = startHarness(dataDir);
    expect(labelsOf(harness, datasetId)).toEqual(before);
    expect(await harness.client.invoke('predict.undoAccept', { acceptId: acceptId! })).toMatchObject({ restored: 1 });
    expect(harness.services.storage.images.bySampleKey(datasetId, 'loose-1.png')?.classId).toBeNull();

    // 21 accepts (each labels and the next one's undo unlabels): the first falls out of the log.
    const first = (await harness.client.invoke('predict.accept', { jobId: 'job-1', datasetId, itemIds: [ids.looseDog] })).acceptId!;
    for (let i = 0; i < 20; i++) {
      const { storage } = harness.services;
      storage.images.assign([storage.images.bySampleKey(datasetId, 'loose-1.png')!.id], null, datasetId);
      await harness.client.invoke('predict.accept', { jobId: 'job-1', datasetId, itemIds: [ids.looseDog] });
    }
    await expect(harness.client.invoke('predict.undoAccept', { acceptId: first })).rejects.toMatchObject({ code: 'not-found' });
  });
});
