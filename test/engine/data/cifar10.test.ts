import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR_RECORD_BYTES, cifarRecordLocation, readCifarRecordRgb } from '../../../src-main/engine/data/cifar10';
import { inspectDataset, loadDataset } from '../../../src-main/engine/data/load-dataset';
import { UserError } from '../../../src-main/engine/errors';
import { sharedDatasets, tempDir } from './fixtures';

const FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

/** Label of record `r` of file `f` and its pixel value at channel `c`, position `p` (all distinct enough to catch mix-ups). */
const labelOf = (f: number, r: number) => (f * 7 + r * 3) % 10;
const pixelOf = (f: number, r: number, c: number, p: number) => (f * 31 + r * 17 + c * 80 + p) % 256;

/** A CIFAR-10 binary folder with `records` records per file (the real one has 10,000). */
async function writeFakeCifar(folder: string, records: number): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const [f, name] of FILES.entries()) {
    const buf = Buffer.alloc(records * CIFAR_RECORD_BYTES);
    for (let r = 0; r < records; r++) {
      const o = r * CIFAR_RECORD_BYTES;
      buf[o] = labelOf(f, r);
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) buf[o + 1 + c * 1024 + p] = pixelOf(f, r, c, p);
    }
    await writeFile(join(folder, name), buf);
  }
  await writeFile(join(folder, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
}

async function userError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return (err as Error).message;
}

describe('CIFAR-10 binary reader (small fake folder)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let folder: string;
  const records = 4;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('cifar'));
    folder = join(dir, 'parent', 'cifar-10-batches-bin');
    await writeFakeCifar(folder, records);
  });
  afterAll(() => cleanup());

  it('is strict by default: files must hold 10,000 records', async () => {
    const message = await userError(loadDataset(folder));
    expect(message).toContain(join(folder, 'data_batch_1.bin'));
    expect(message).toContain('expected 30,730,000 bytes (10,000 records of 3,073 bytes), found 12,292');
  });

  it('reads labels, ids and interleaved pixels when small files are allowed', async () => {
    const progress: number[] = [];
    const data = await loadDataset(folder, { strictSizes: false, onProgress: (done) => progress.push(done) });
    expect(data.format).toBe('cifar10-binary');
    expect(data.root).toBe(folder);
    expect(data.storeSize).toBe(32);
    expect(data.classes[3]).toBe('cat');
    expect(data.classes).toHaveLength(10);
    expect(progress.at(-1)).toBe(6 * records);
    const { train, test } = data.splits;
    expect(train.count).toBe(5 * records);
    expect(test.count).toBe(records);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 4].flatMap((f) => [0, 1, 2, 3].map((r) => labelOf(f, r))));
    expect(Array.from(test.labels)).toEqual([0, 1, 2, 3].map((r) => labelOf(5, r)));
    expect(train.id(6)).toBe('train:6');
    expect(test.id(2)).toBe('test:2');

    // Random order across files, a repeat, and a consecutive run (read in one call).
    const indices = [13, 2, 6, 7, 8, 13, 19];
    const pixels = await train.readPixels(indices);
    expect(pixels.length).toBe(indices.length * 32 * 32 * 3);
    indices.forEach((index, k) => {
      const f = Math.floor(index / records);
      const r = index % records;
      for (const p of [0, 1, 31, 32, 555, 1023]) {
        for (let c = 0; c < 3; c++) expect(pixels[(k * 1024 + p) * 3 + c]).toBe(pixelOf(f, r, c, p));
      }
    });
    const testPixels = await test.readPixels([3]);
    expect(testPixels[0]).toBe(pixelOf(5, 3, 0, 0));
    expect(testPixels[1]).toBe(pixelOf(5, 3, 1, 0));
    await expect(test.readPixels([records])).rejects.toThrow(RangeError);
  });

  it('reads one record by its file and index as the split reads it, and says where a full folder keeps a sample', async () => {
    const { train } = (await loadDataset(folder, { strictSizes: false })).splits;
    // Record 3 of data_batch_2.bin is training sample 7 of this 4-records-a-file fixture.
    expect(await readCifarRecordRgb(join(folder, 'data_batch_2.bin'), 3)).toEqual(Buffer.from(await train.readPixels([7])));
    expect((await readCifarRecordRgb(join(folder, 'test_batch.bin'), 0)).subarray(0, 3)).toEqual(Buffer.from([0, 1, 2].map((c) => pixelOf(5, 0, c, 0))));
    const missing = await userError(readCifarRecordRgb(join(folder, 'test_batch.bin'), records));
    expect(missing).toBe(`${join(folder, 'test_batch.bin')} has no record ${records}`);

    expect(cifarRecordLocation('/c', 'train', 0)).toEqual({ path: join('/c', 'data_batch_1.bin'), recordIndex: 0 });
    expect(cifarRecordLocation('/c', 'train', 12_345)).toEqual({ path: join('/c', 'data_batch_2.bin'), recordIndex: 2345 });
    expect(cifarRecordLocation('/c', 'train', 49_999)).toEqual({ path: join('/c', 'data_batch_5.bin'), recordIndex: 9999 });
    expect(cifarRecordLocation('/c', 'test', 9999)).toEqual({ path: join('/c', 'test_batch.bin'), recordIndex: 9999 });
  });

  it('accepts the parent of cifar-10-batches-bin and inspects it', async () => {
    const inspection = await inspectDataset(join(dir, 'parent'), { strictSizes: false });
    expect(inspection.format).toBe('cifar10-binary');
    expect(inspection.splits.train.count).toBe(20);
    expect(inspection.splits.test.count).toBe(4);
    const expected = new Array(10).fill(0);
    for (let f = 0; f < 5; f++) for (let r = 0; r < records; r++) expected[labelOf(f, r)]++;
    expect(inspection.splits.train.perClass).toEqual(expected);
    expect(inspection.skipped).toEqual([]);
    expect(JSON.parse(JSON.stringify(inspection))).toEqual(inspection);
  });

  it('names the file and what was expected for missing, truncated or mislabelled files', async () => {
    const broken = join(dir, 'broken');
    await writeFakeCifar(broken, 2);
    await truncate(join(broken, 'data_batch_3.bin'), CIFAR_RECORD_BYTES * 2 - 5);
    expect(await userError(loadDataset(broken, { strictSizes: false }))).toMatch(
      /data_batch_3\.bin: 6,141 bytes is not a whole number of 3,073-byte CIFAR-10 records/,
    );

    await writeFakeCifar(broken, 2);
    const bad = Buffer.alloc(CIFAR_RECORD_BYTES * 2);
    bad[CIFAR_RECORD_BYTES] = 42;
    await writeFile(join(broken, 'test_batch.bin'), bad);
    expect(await userError(loadDataset(broken, { strictSizes: false }))).toMatch(/test_batch\.bin: record 1 has label 42; CIFAR-10 labels are 0\.\.9/);

    const partial = join(dir, 'partial');
    await mkdir(partial);
    await writeFile(join(partial, 'data_batch_1.bin'), Buffer.alloc(CIFAR_RECORD_BYTES));
    const missing = await userError(loadDataset(partial, { strictSizes: false }));
    expect(missing).toContain(`CIFAR-10 file missing: ${join(partial, 'data_batch_2.bin')}`);
  });

  it('rejects a folder that is neither CIFAR-10 nor images, and paths that are not folders', async () => {
    const empty = join(dir, 'empty');
    await mkdir(join(empty, 'sub'), { recursive: true });
    await writeFile(join(empty, 'readme.txt'), 'hello');
    expect(await userError(loadDataset(empty))).toContain('is not a dataset: no cifar-10 .bin files and no class sub-folders with images');
    expect(await userError(loadDataset(join(dir, 'nope')))).toContain('Dataset folder not found');
    expect(await userError(loadDataset(join(empty, 'readme.txt')))).toContain('is a file; expected a dataset folder');
  });
});

describe('CIFAR-10 binary reader (real data)', () => {
  it('reads the shared CIFAR-10 copy', async (context) => {
    const shared = sharedDatasets();
    if (!shared) return context.skip('../shared/datasets not found (set SHUFFLENET_DATASETS); skipping real CIFAR-10');
    const started = performance.now();
    const data = await loadDataset(join(shared, 'cifar10'));
    const loadMs = performance.now() - started;
    expect(data.splits.train.count).toBe(50_000);
    expect(data.splits.test.count).toBe(10_000);
    expect(Array.from(data.splits.test.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(Array.from(data.splits.test.labels.subarray(9995))).toEqual([8, 3, 5, 1, 7]);
    expect(Array.from(data.splits.train.labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    const inspection = await inspectDataset(join(shared, 'cifar10', 'cifar-10-batches-bin'));
    expect(inspection.splits.train.perClass).toEqual(new Array(10).fill(5000));
    expect(inspection.splits.test.perClass).toEqual(new Array(10).fill(1000));
    expect(inspection.classes).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);

    const batch = Array.from({ length: 128 }, (_, i) => (i * 7919) % 50_000);
    const readStart = performance.now();
    const pixels = await data.splits.train.readPixels(batch);
    const readMs = performance.now() - readStart;
    expect(pixels.length).toBe(128 * 3072);
    // folder-sample holds lossless PNG copies of test records: cat/0.png is test 0, ship/0.png is test 1.
    const [cat, ship] = await Promise.all(
      ['cat', 'ship'].map(
        async (name) =>
          await sharp(join(shared, 'folder-sample', name, '0.png'))
            .removeAlpha()
            .raw()
            .toBuffer(),
      ),
    );
    const firstTwo = await data.splits.test.readPixels([0, 1]);
    expect(Buffer.from(firstTwo.subarray(0, 3072))).toEqual(cat);
    expect(Buffer.from(firstTwo.subarray(3072))).toEqual(ship);
    console.log(`real CIFAR-10: load (label scan of 60,000 records) ${loadMs.toFixed(0)} ms; random batch of 128 read in ${readMs.toFixed(1)} ms`);
  });
});
