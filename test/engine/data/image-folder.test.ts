import { open, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeImageFile } from '../../../src-main/engine/data/decode-image';
import { inspectDataset, loadDataset } from '../../../src-main/engine/data/load-dataset';
import { AbortedError } from '../../../src-main/engine/errors';
import { CLASS_COLOURS, encode, makeMixedFolder, sharedDatasets, solid, tempDir, writeFileDeep } from './fixtures';

// A pass-through spy: the real decoder runs, the test only counts how often.
vi.mock('../../../src-main/engine/data/decode-image', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src-main/engine/data/decode-image')>();
  return { ...actual, decodeImageFile: vi.fn(actual.decodeImageFile) };
});
const decodeCalls = () => vi.mocked(decodeImageFile).mock.calls.length;

describe('image folder datasets', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let cacheDir: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('folder'));
    root = join(dir, 'photos');
    cacheDir = join(dir, 'cache');
    await makeMixedFolder(root);
  });
  afterAll(() => cleanup());

  it('finds classes at any depth, unlabeled root images, and skips bad files with reasons', async () => {
    const before = decodeCalls();
    const progress: [number, number][] = [];
    const data = await loadDataset(root, { storeSize: 8, cacheDir, onProgress: (d, t) => progress.push([d, t]) });
    expect(decodeCalls() - before).toBe(16);
    expect(progress).toHaveLength(16);
    expect(progress.at(-1)).toEqual([16, 16]);
    expect(data.format).toBe('image-folder');
    expect(data.classes).toEqual(['ants', 'bees', 'cats']);
    expect(data.storeSize).toBe(8);
    const { train, validation } = data.splits;
    expect(train.count + validation.count).toBe(12);
    // One image per class held out (5, 4 and 3 images at 0.2, at least one each).
    expect(Array.from(validation.labels).sort()).toEqual([0, 1, 2]);
    expect(data.unlabeled?.count).toBe(1);
    expect(data.unlabeled?.id(0)).toBe('loose.png');
    expect(data.unlabeled?.labels[0]).toBe(-1);
    const ids = [...Array.from({ length: train.count }, (_, i) => train.id(i)), ...Array.from({ length: validation.count }, (_, i) => validation.id(i))];
    expect(ids.sort()).toEqual([
      'ants/a1.png',
      'ants/a2.jpg',
      'ants/a5.jpeg',
      'ants/deep/a4.PNG',
      'ants/deep/er/a3.webp',
      'bees/b1.bmp',
      'bees/b2.GIF',
      'bees/b4.TIF',
      'bees/nested/b3.tiff',
      'cats/c1.png',
      'cats/c2.png',
      'cats/c3.png',
    ]);
    expect(train.filePath?.(0)).toBe(join(root, train.id(0)));
    expect(data.skipped.map((s) => [s.path, s.reason])).toEqual([
      [join(root, 'ants/truncated.png'), 'damaged or incomplete PNG file'],
      [join(root, 'bees/text.jpg'), 'not an image (text file)'],
      [join(root, 'cats/empty.png'), 'empty file (0 bytes)'],
    ]);

    // Every sample's pixels carry its class colour (JPEG/GIF within a small tolerance).
    const pixels = await train.readPixels(Array.from({ length: train.count }, (_, i) => i));
    for (let i = 0; i < train.count; i++) {
      const colour = CLASS_COLOURS[train.labels[i]];
      const centre = (i * 64 + 4 * 8 + 4) * 3;
      for (let c = 0; c < 3; c++) expect(Math.abs(pixels[centre + c] - colour[c]), `${train.id(i)} channel ${c}`).toBeLessThanOrEqual(10);
    }
    expect(Array.from((await data.unlabeled!.readPixels([0])).subarray(0, 3))).toEqual([128, 128, 128]);
    await expect(train.readPixels([train.count])).rejects.toThrow(RangeError);
  });

  it('reports progress while it looks for images, before decoding', async () => {
    const walk: [number, number][] = [];
    await loadDataset(root, { storeSize: 8, cacheDir, onWalk: (seen, found) => walk.push([seen, found]) });
    // One call per folder entry and a last one with the totals: 16 image files (3 of them broken).
    expect(walk.length).toBeGreaterThan(16);
    expect(walk.slice(0, -1).map(([seen]) => seen)).toEqual(walk.slice(0, -1).map((_, i) => i + 1));
    expect(walk.at(-1)).toEqual([walk.length - 1, 16]);
  });

  it('decodes nothing on a second load: pixels and failures come from the disk cache', async () => {
    // A whole-second mtime survives utimes exactly (file systems keep nanoseconds, Date keeps ms).
    const victim = join(root, 'ants/a1.png');
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const atime = mtime;
    await utimes(victim, atime, mtime);
    const first = await loadDataset(root, { storeSize: 8, cacheDir });
    const everything = (data: typeof first) =>
      Promise.all(['train', 'validation'].map((name) => data.splits[name].readPixels(Array.from({ length: data.splits[name].count }, (_, i) => i))));
    const firstPixels = await everything(first);
    // Overwrite a cached image with garbage of the same size and the same mtime: a cache hit
    // cannot tell, so the old pixels prove that the file was not decoded again.
    const { size } = await stat(victim);
    await writeFile(victim, Buffer.alloc(size, 7));
    await utimes(victim, atime, mtime);

    const before = decodeCalls();
    const second = await loadDataset(root, { storeSize: 8, cacheDir });
    expect(decodeCalls() - before).toBe(0);
    expect(await everything(second)).toEqual(firstPixels);
    expect(second.skipped).toEqual(first.skipped);

    // A changed file (new mtime) is decoded again, and now it is skipped.
    await utimes(victim, atime, new Date(mtime.getTime() + 5000));
    const third = await loadDataset(root, { storeSize: 8, cacheDir });
    expect(decodeCalls() - before).toBe(1);
    expect(third.skipped.map((s) => s.path)).toContain(victim);
    expect(third.splits.train.count + third.splits.validation.count).toBe(11);
  });

  it('keeps the cache bounded: records are fixed-size and reused, memory holds none', async () => {
    const data = await loadDataset(root, { storeSize: 8, cacheDir });
    const pixelsFile = await open(join(cacheDir, 'pixels.u8'), 'r');
    const bytes = (await pixelsFile.stat()).size;
    await pixelsFile.close();
    // 13 images decoded once each at 8x8x3, plus at most one record from the re-decoded file.
    expect(bytes).toBeLessThanOrEqual(13 * 192);
    expect(bytes % 192).toBe(0);
    expect(data.splits.train.count).toBeGreaterThan(0);
  });

  it('splits stratified and seeded: same seed same split, other seed other split', async () => {
    const big = join(dir, 'big');
    for (const [c, name] of ['a', 'b', 'c'].entries()) {
      for (let i = 0; i < (name === 'b' ? 21 : 20); i++) {
        await writeFileDeep(join(big, name, `${i}.png`), await encode('png', solid(4, 4, [c * 80, i * 10, 50]), 4, 4));
      }
    }
    const load = (seed: number, validationFraction?: number) => loadDataset(big, { storeSize: 8, cacheDir: join(dir, 'big-cache'), seed, validationFraction });
    const idsOf = (split: { count: number; id(i: number): string }) => Array.from({ length: split.count }, (_, i) => split.id(i));
    const a = await load(1);
    const b = await load(1);
    const c = await load(2);
    expect(idsOf(a.splits.validation)).toEqual(idsOf(b.splits.validation));
    expect(idsOf(a.splits.validation)).not.toEqual(idsOf(c.splits.validation));
    const inspection = await inspectDataset(big, { storeSize: 8, cacheDir: join(dir, 'big-cache'), seed: 1 });
    expect(inspection.splits.validation.perClass).toEqual([4, 4, 4]);
    expect(inspection.splits.train.perClass).toEqual([16, 17, 16]);
    const none = await load(1, 0);
    expect(none.splits.validation.count).toBe(0);
    await expect(load(1, 1)).rejects.toThrow(/validationFraction must be at least 0 and below 1/);
  });

  it('stops on abort and resumes from what was cached', async () => {
    const controller = new AbortController();
    const freshCache = join(dir, 'abort-cache');
    const attempt = loadDataset(root, {
      storeSize: 8,
      cacheDir: freshCache,
      signal: controller.signal,
      onProgress: (done) => done === 3 && controller.abort(),
    });
    await expect(attempt).rejects.toBeInstanceOf(AbortedError);
    const before = decodeCalls();
    await loadDataset(root, { storeSize: 8, cacheDir: freshCache });
    const decoded = decodeCalls() - before;
    expect(decoded).toBeLessThan(16);
    expect(decoded).toBeGreaterThan(0);
  });

  it('reads the shared folder sample and bad images', async (context) => {
    const shared = sharedDatasets();
    if (!shared) return context.skip('../shared/datasets not found (set SHUFFLENET_DATASETS); skipping real image folders');
    const sample = await inspectDataset(join(shared, 'folder-sample'), { cacheDir: join(dir, 'sample-cache') });
    expect(sample.format).toBe('image-folder');
    expect(sample.classes).toEqual(['cat', 'dog', 'ship']);
    expect(sample.splits.train.perClass.map((n, i) => n + sample.splits.validation.perClass[i])).toEqual([40, 40, 40]);
    expect(sample.splits.validation.perClass).toEqual([8, 8, 8]);
    expect(sample.skipped).toEqual([]);

    const bad = await inspectDataset(join(shared, 'bad-images'), { cacheDir: join(dir, 'bad-cache') });
    expect(bad.classes).toEqual([]);
    expect(bad.unlabeledCount).toBe(0);
    expect(bad.skipped.map((s) => s.path.split('/').pop())).toEqual(['broken.jpg', 'empty.png', 'truncated.png']);
    expect(bad.skipped.map((s) => s.reason)).toEqual(['not an image (text file)', 'empty file (0 bytes)', 'damaged or incomplete PNG file']);
  });
});
