import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src-main/contract';
import { makeImageFolder, removeDir, startHarness, tempDir, writeBroken, type Harness } from './helpers';

let root: string;
let harness: Harness;
let folder: string;

beforeAll(async () => {
  root = tempDir('datasets');
  folder = join(root, 'pets');
  await makeImageFolder(folder, 3, 2);
  writeBroken(join(folder, 'dog', 'broken.png'));
  harness = startHarness(join(root, 'data'));
});

afterAll(() => {
  harness.close();
  removeDir(root);
});

async function media(url: string) {
  return harness.services.media.handle(new Request(new URL(url, 'http://127.0.0.1')));
}

describe('datasets and labeling through the ML host', () => {
  let dataset: Dataset;

  it('adds a folder: classes from sub-folders, root images unlabeled, broken files skipped by decoding', async () => {
    const progress: number[] = [];
    const stop = harness.client.subscribe('datasets.scanProgress', (p) => progress.push(p.done));
    dataset = await harness.client.invoke('datasets.addFolder', { path: folder });
    stop();
    expect(dataset).toMatchObject({ name: 'pets', kind: 'folder', root: folder, imageCount: 8, unlabeledCount: 2 });
    expect(dataset.classes.map((c) => [c.name, c.count])).toEqual([
      ['cat', 3],
      ['dog', 3],
    ]);
    expect(dataset.skipped).toHaveLength(1);
    expect(dataset.skipped[0].path).toBe(join(folder, 'dog', 'broken.png'));
    expect(dataset.skipped[0].reason.length).toBeGreaterThan(3);
    expect(progress.length).toBeGreaterThan(0);
    expect(await harness.client.invoke('datasets.list', {})).toEqual([dataset]);
  });

  it('lists images by class and serves their thumbnails by id', async () => {
    const unlabeled = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: null } });
    expect(unlabeled.total).toBe(2);
    expect(unlabeled.items.map((i) => i.path)).toEqual([join(folder, 'loose-0.png'), join(folder, 'loose-1.png')]);
    const response = await media(unlabeled.items[0].thumbUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([128, 128]);
    const full = await media(unlabeled.items[0].imageUrl);
    expect(full.headers.get('content-type')).toBe('image/png');
    expect((await media('/media/thumb/image/999999')).status).toBe(404);
    expect((await media('/media/thumb/image/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    const page = await harness.client.invoke('images.list', { datasetId: dataset.id, offset: 2, limit: 3 });
    expect(page.total).toBe(8);
    expect(page.items).toHaveLength(3);
  });

  it('creates and renames classes and assigns labels', async () => {
    const bird = await harness.client.invoke('classes.create', { datasetId: dataset.id, name: 'bird' });
    await expect(harness.client.invoke('classes.create', { datasetId: dataset.id, name: 'bird' })).rejects.toMatchObject({ code: 'conflict' });
    const unlabeled = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: null } });
    const { updated } = await harness.client.invoke('labels.assign', { imageIds: unlabeled.items.map((i) => i.id), classId: bird.id });
    expect(updated).toBe(2);
    const renamed = await harness.client.invoke('classes.rename', { datasetId: dataset.id, classId: bird.id, name: 'parrot' });
    expect(renamed).toEqual({ id: bird.id, name: 'parrot', count: 2 });
    await expect(harness.client.invoke('classes.rename', { datasetId: dataset.id, classId: bird.id, name: 'cat' })).rejects.toMatchObject({ code: 'conflict' });
    const after = await harness.client.invoke('datasets.get', { id: dataset.id });
    expect(after.unlabeledCount).toBe(0);
    expect(after.classes.map((c) => [c.name, c.count])).toEqual([
      ['cat', 3],
      ['dog', 3],
      ['parrot', 2],
    ]);
    const cat = after.classes[0];
    await harness.client.invoke('labels.assign', { imageIds: [unlabeled.items[0].id], classId: cat.id });
    await harness.client.invoke('labels.assign', { imageIds: [unlabeled.items[1].id], classId: null });
    const final = await harness.client.invoke('datasets.get', { id: dataset.id });
    expect(final.classes.map((c) => c.count)).toEqual([4, 3, 0]);
    expect(final.unlabeledCount).toBe(1);
  });

  it('exports the labeled images as class folders', async () => {
    const dest = join(root, 'export');
    const result = await harness.client.invoke('datasets.exportLabeled', { id: dataset.id, destDir: dest });
    expect(result).toEqual({ written: 7, destDir: dest });
    expect(readdirSync(dest).sort()).toEqual(['cat', 'dog']);
    expect(readdirSync(join(dest, 'cat')).sort()).toEqual(['0.png', '1.png', '2.png', 'loose-0.png']);
    expect(existsSync(join(dest, 'dog', 'broken.png'))).toBe(false);
    await expect(harness.client.invoke('datasets.exportLabeled', { id: dataset.id, destDir: dest })).rejects.toMatchObject({
      code: 'user-error',
    });
  });

  it('refuses bad folders with a clear message', async () => {
    await expect(harness.client.invoke('datasets.addFolder', { path: join(root, 'nope') })).rejects.toMatchObject({
      code: 'user-error',
      message: expect.stringContaining('not found'),
    });
    await expect(harness.client.invoke('datasets.addCifar10', { path: folder })).rejects.toMatchObject({
      code: 'user-error',
      message: expect.stringContaining('CIFAR-10'),
    });
    await expect(harness.client.invoke('datasets.get', { id: 999 })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('removes a dataset', async () => {
    await harness.client.invoke('datasets.remove', { id: dataset.id });
    expect(await harness.client.invoke('datasets.list', {})).toEqual([]);
  });
});
