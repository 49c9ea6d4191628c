import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDuplicates, type HashedImage } from '../../../src-main/engine/audit/duplicates';
import { readImageFacts } from '../../../src-main/engine/audit/image-facts';
import { hammingDistance, perceptualHash } from '../../../src-main/engine/audit/perceptual-hash';
import { AbortedError } from '../../../src-main/engine/errors';
import { distinctImage, distinctPixels } from './distinct-images';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audit-dup-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Hashes `files` as the audit does; every one must be readable. */
async function hashed(files: { path: string; label: number | null; split?: string }[]): Promise<HashedImage[]> {
  const facts = await readImageFacts(files.map((f) => f.path));
  return facts.map((fact, i) => {
    if (!fact.readable) throw new Error(`${files[i].path}: ${fact.reason}`);
    return { ...files[i], ...fact };
  });
}

describe('perceptualHash', () => {
  it('puts distinct pictures far apart and a picture next to itself', () => {
    const a = perceptualHash(new Uint8Array(distinctPixels(1)));
    const b = perceptualHash(new Uint8Array(distinctPixels(2)));
    expect(hammingDistance(a, a)).toBe(0);
    expect(hammingDistance(a, b)).toBeGreaterThan(16);
  });
});

describe('findDuplicates', () => {
  it('groups exact, re-encoded and resized copies with their original, and no two distinct pictures', async () => {
    const files: { path: string; label: number; split?: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const file = path.join(dir, `distinct-${i}.png`);
      await distinctImage(i).png().toFile(file);
      files.push({ path: file, label: i % 2 });
    }
    const original = files[3].path;
    const copies = {
      exact: path.join(dir, 'exact.png'),
      jpeg: path.join(dir, 'jpeg-q50.jpg'),
      bigger: path.join(dir, 'bigger.png'),
      smaller: path.join(dir, 'smaller.webp'),
    };
    await copyFile(original, copies.exact);
    await writeFile(copies.jpeg, await distinctImage(3).jpeg({ quality: 50 }).toBuffer());
    await writeFile(copies.bigger, await distinctImage(3).resize(80, 80).png().toBuffer());
    await writeFile(copies.smaller, await distinctImage(3).resize(20, 20).webp({ quality: 80 }).toBuffer());
    files.push(...Object.values(copies).map((p) => ({ path: p, label: 1 })));

    const groups = await findDuplicates(await hashed(files));
    expect(groups).toHaveLength(1);
    expect(groups[0].paths.sort()).toEqual([original, ...Object.values(copies)].sort());
    expect(groups[0]).toMatchObject({ kind: 'near', scope: 'within-class' });
  });

  it('names a group exact when the bytes match, and its scope: within a class, across, between training and validation, unlabeled', async () => {
    const write = async (name: string, seed: number) => {
      const file = path.join(dir, name);
      await distinctImage(seed).png().toFile(file);
      return file;
    };
    const a = await write('scope-a.png', 100);
    const b = await write('scope-b.png', 100);
    const c = await write('scope-c.png', 101);
    const d = await write('scope-d.png', 101);
    const e = await write('scope-e.png', 102);
    const f = await write('scope-f.png', 102);
    const g = await write('scope-g.png', 103);
    const h = await write('scope-h.png', 103);
    const groups = await findDuplicates(
      await hashed([
        { path: a, label: 0, split: 'train' },
        { path: b, label: 0, split: 'train' },
        { path: c, label: 0, split: 'train' },
        { path: d, label: 0, split: 'validation' },
        { path: e, label: 0, split: 'train' },
        { path: f, label: 1, split: 'train' },
        { path: g, label: 1, split: 'train' },
        { path: h, label: null },
      ]),
    );
    expect(groups).toEqual([
      { paths: [a, b], kind: 'exact', scope: 'within-class' },
      { paths: [c, d], kind: 'exact', scope: 'train-validation' },
      { paths: [e, f], kind: 'exact', scope: 'across-classes' },
      { paths: [g, h], kind: 'exact', scope: 'unlabeled' },
    ]);
  });

  it('stops on its signal', async () => {
    const images = await hashed([{ path: path.join(dir, 'distinct-0.png'), label: 0 }]);
    const controller = new AbortController();
    controller.abort();
    await expect(findDuplicates(images, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('readImageFacts', () => {
  it('gives the stored size of a readable image and the reason for a broken one', async () => {
    const big = path.join(dir, 'facts-big.png');
    await distinctImage(7, 48).resize(60, 40).png().toFile(big);
    const broken = path.join(dir, 'facts-broken.jpg');
    await writeFile(broken, 'not a jpeg');
    const [good, bad] = await readImageFacts([big, broken]);
    expect(good).toMatchObject({ readable: true, width: 60, height: 40 });
    expect(bad).toEqual({ readable: false, reason: 'not an image (text file)' });
  });
});
