import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEnded, type Dataset } from '../../src-main/contract';
import { startWithFolder, TINY, type Harness } from './helpers';

/**
 * The dataset audit and "why this prediction" through the real services and the real ML host: the
 * audit runs on the label snapshot a run would train on and names images by id; keep, relabel and
 * exclude take an image off the likely-errors list; Grad-CAM comes from the dataset's newest run.
 */
let setup: Awaited<ReturnType<typeof startWithFolder>>;
let harness: Harness;
let dataset: Dataset;

beforeAll(async () => {
  setup = await startWithFolder('audit', 10, 0, (pets) => {
    // Two red "cat" images filed as dogs: what a likely-error list is for. And an exact copy.
    copyFileSync(join(pets, 'cat', '0.png'), join(pets, 'dog', 'moved-0.png'));
    copyFileSync(join(pets, 'cat', '1.png'), join(pets, 'dog', 'moved-1.png'));
    copyFileSync(join(pets, 'cat', '2.png'), join(pets, 'cat', 'copy-of-2.png'));
  });
  ({ harness, dataset } = setup);
}, 120_000);

afterAll(() => setup?.close());

describe('dataset audit', () => {
  it('finds the moved images and the copies, with progress, and maps every path to its image', async () => {
    expect(await harness.client.invoke('audit.get', { datasetId: dataset.id })).toBeNull();
    const stages = new Set<string>();
    const off = harness.client.subscribe('audit.progress', (p) => stages.add(p.stage));
    const done = harness.next('audit.done', (p) => p.datasetId === dataset.id, 180_000);
    await harness.client.invoke('audit.start', { datasetId: dataset.id });
    expect((await done).error).toBeUndefined();
    off();
    expect([...stages]).toEqual(expect.arrayContaining(['preparing', 'features', 'cross-validation']));

    const audit = (await harness.client.invoke('audit.get', { datasetId: dataset.id }))!;
    const [cat, dog] = ['cat', 'dog'].map((name) => dataset.classes.find((c) => c.name === name)!.id);
    // The two moved files are the two most suspicious of the list.
    const moved = audit.likelyMislabeled.slice(0, 2);
    expect(moved.map((m) => m.path.split('/').at(-1)).sort()).toEqual(['moved-0.png', 'moved-1.png']);
    for (const m of moved)
      expect(m).toMatchObject({
        labelClassId: dog,
        suggestedClassId: cat,
        imageId: expect.any(Number),
        thumbUrl: expect.stringContaining('/media/thumb/image/'),
      });
    expect(audit.likelyMislabeled.map((m) => m.score)).toEqual([...audit.likelyMislabeled.map((m) => m.score)].sort((a, b) => b - a));
    // Exact copies: cat/2 with its copy, and each moved file with its original (filed under another class).
    const exact = audit.duplicateGroups.filter((g) => g.kind === 'exact');
    expect(exact.filter((g) => g.scope === 'across-classes')).toHaveLength(2);
    // The copy within a class: 'train-validation' when the split put one in each (it does with this seed).
    const copies = exact.find((g) => g.images.some((i) => i.path.endsWith('copy-of-2.png')));
    expect(['within-class', 'train-validation']).toContain(copies?.scope);
    for (const group of exact) for (const image of group.images) expect(image.imageId).toEqual(expect.any(Number));
    expect(audit.warnings.map((w) => w.kind)).toContain('duplicates');
    expect(audit.classCounts).toEqual({ cat: 11, dog: 12 });

    // Keep one, relabel the other: both leave the list, and the change is counted.
    const [first, second] = moved;
    await harness.client.invoke('audit.keep', { datasetId: dataset.id, imageId: first.imageId! });
    await harness.client.invoke('labels.assign', { imageIds: [second.imageId!], classId: cat });
    const after = (await harness.client.invoke('audit.get', { datasetId: dataset.id }))!;
    expect(after.likelyMislabeled.map((m) => m.imageId)).not.toContain(first.imageId);
    expect(after.likelyMislabeled.map((m) => m.imageId)).not.toContain(second.imageId);
    expect(after.labelsChangedSince).toBe(1);
  }, 240_000);

  it('refuses a second audit of the same dataset while one runs, and a run id that does not exist', async () => {
    await expect(harness.client.invoke('audit.start', { datasetId: dataset.id, runId: 9999 })).rejects.toMatchObject({ code: 'not-found' });
    await expect(harness.client.invoke('audit.cancel', { jobId: 'nope' })).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('explain.image', () => {
  it('says to train first, then gives a heatmap of the newest run for a dataset image', async () => {
    const image = (await harness.client.invoke('images.list', { datasetId: dataset.id, limit: 1 })).items[0];
    await expect(harness.client.invoke('explain.image', { kind: 'image', id: image.id })).rejects.toThrow(/Train a model first/);
    const ended = harness.next('training.status', (p) => hasEnded(p.run.status), 240_000);
    await harness.client.invoke('training.start', { datasetId: dataset.id, config: TINY, name: 'tiny' });
    expect((await ended).run.status).toBe('completed');
    const heatmap = await harness.client.invoke('explain.image', { kind: 'image', id: image.id });
    // A 16 px input through the cifar stem's three stride-2 stages: a 2 x 2 map.
    expect(heatmap).toMatchObject({ width: 2, height: 2, fit: 'cover' });
    expect(heatmap.values).toHaveLength(4);
    expect(Math.max(...heatmap.values)).toBeLessThanOrEqual(1);
    expect(['cat', 'dog']).toContain(heatmap.className);
    await expect(harness.client.invoke('explain.image', { kind: 'predict', id: 424242 })).rejects.toMatchObject({ code: 'not-found' });
  }, 300_000);
});

describe('removing an audited dataset', () => {
  it('is refused while the audit runs, then takes the audit snapshot folder and the stored audit with it', async () => {
    // The audit above left its label snapshot (hard links or copies of every labeled image).
    const snapshot = join(setup.dataDir, 'audits', String(dataset.id));
    expect(existsSync(snapshot)).toBe(true);
    const done = harness.next('audit.done', (p) => p.datasetId === dataset.id, 180_000);
    await harness.client.invoke('audit.start', { datasetId: dataset.id });
    await expect(harness.client.invoke('datasets.remove', { id: dataset.id })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('being audited'),
    });
    expect((await done).error).toBeUndefined();

    await harness.client.invoke('datasets.remove', { id: dataset.id });
    expect(existsSync(snapshot)).toBe(false);
    expect(harness.services.storage.audits.get(dataset.id)).toBeUndefined();
    await expect(harness.client.invoke('audit.get', { datasetId: dataset.id })).rejects.toMatchObject({ code: 'not-found' });
  }, 240_000);
});
