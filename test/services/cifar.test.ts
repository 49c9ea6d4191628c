import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startHarness, tempDir, type Harness } from './helpers';

const datasets = process.env.SHUFFLENET_DATASETS ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/datasets');
const cifar = join(datasets, 'cifar10');
const present = existsSync(join(cifar, 'cifar-10-batches-bin', 'test_batch.bin'));

let root: string;
let harness: Harness;

beforeAll(() => {
  root = tempDir('cifar');
  harness = startHarness(join(root, 'data'));
});
afterAll(() => {
  harness.close();
  removeDir(root);
});

describe('CIFAR-10 datasets', () => {
  it('adds the shared CIFAR-10 folder with one row per record and PNG thumbnails', async (context) => {
    if (!present) return context.skip(`${cifar} not found (set SHUFFLENET_DATASETS); skipping the real CIFAR-10 test`);
    const started = Date.now();
    const dataset = await harness.client.invoke('datasets.addCifar10', { path: cifar });
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(60);
    expect(dataset).toMatchObject({ kind: 'cifar10', name: 'CIFAR-10', imageCount: 60_000, unlabeledCount: 0, splits: { train: 50_000, test: 10_000 } });
    expect(dataset.classes.map((c) => c.name)).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect(dataset.classes.every((c) => c.count === 6000)).toBe(true);
    const ships = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: dataset.classes[8].id, split: 'test' }, limit: 2 });
    expect(ships.total).toBe(1000);
    expect(ships.items[0].path).toMatch(/^test_batch\.bin#\d+$/);
    const thumb = await harness.services.media.handle(new Request(new URL(ships.items[0].thumbUrl, 'http://x')));
    expect(thumb.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([128, 128]);
    await expect(harness.client.invoke('classes.create', { datasetId: dataset.id, name: 'boat' })).rejects.toMatchObject({ code: 'user-error' });
    await expect(harness.client.invoke('labels.assign', { imageIds: [ships.items[0].id], classId: null })).rejects.toMatchObject({ code: 'user-error' });
  });
});
