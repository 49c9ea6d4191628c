/**
 * Issue 16's targets for `dataset audit`, measured on folders cut from the CIFAR-10 test split:
 *  - label errors: 500 images (50 per class) with 25 (5%) moved into a wrong class folder; the
 *    top 25 of the likely-mislabeled list should hold at least 15 of them (precision@25 >= 0.6),
 *    and the same folder without moves should have fewer than 5 images flagged (default threshold:
 *    calibrated per audit, flag-threshold.ts; --threshold fixes one);
 *  - near-duplicates: copies saved as JPEG, scaled up and scaled down are grouped with their
 *    original; distinct images of one class are not.
 *
 *   npm run bench:audit -- [--seeds 0,1,2] [--from pretrained|RUN] [--threshold SCORE] [--json]
 *
 * Each seed takes its own 50 images per class (seed s: the class's images s*50 .. s*50+49 in
 * test-file order) and its own moves. Needs ../shared/datasets/cifar10 (or SHUFFLENET_DATASETS).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { auditFolder } from '../src-main/engine/audit/audit-folder';
import { MIN_CORRELATION, NEAR_DISTANCE } from '../src-main/engine/audit/duplicates';
import { hammingDistance, perceptualHash } from '../src-main/engine/audit/perceptual-hash';
import { colourThumbnail, thumbnailCorrelation } from '../src-main/engine/audit/thumbnail-correlation';
import { CIFAR10_CLASSES } from '../src-main/engine/data/cifar10';
import { loadDataset } from '../src-main/engine/data/load-dataset';
import type { DatasetSplit } from '../src-main/engine/types';

const { values: opts } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    from: { type: 'string', default: 'pretrained' },
    'per-class': { type: 'string', default: '50' },
    moved: { type: 'string', default: '25' },
    /** A fixed flagging threshold, as `dataset audit --threshold`; default: calibrated per audit. */
    threshold: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const perClass = Number(opts['per-class']);
const movedCount = Number(opts.moved);
const threshold = opts.threshold === undefined ? undefined : Number(opts.threshold);
const datasets = path.resolve(process.env.SHUFFLENET_DATASETS ?? path.resolve(import.meta.dirname, '../../shared/datasets'));
const cifar = path.join(datasets, 'cifar10/cifar-10-batches-bin');
if (!existsSync(path.join(cifar, 'test_batch.bin'))) throw new Error(`needs the CIFAR-10 test split at ${cifar}/test_batch.bin`);

/** Park-Miller, as the tests use: the same moves on every machine. */
function random(seed: number): () => number {
  let state = (seed * 7919 + 1) % 2147483647 || 1;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

const png = (pixels: Uint8Array, i: number) => sharp(Buffer.from(pixels.subarray(i * 3072, (i + 1) * 3072)), { raw: { width: 32, height: 32, channels: 3 } });

/** Writes seed's 50-per-class folder; returns each file's path and class. */
async function writeFolder(test: DatasetSplit, root: string, seed: number): Promise<{ file: string; label: number }[]> {
  const byClass = CIFAR10_CLASSES.map((_, c) => [...test.labels.keys()].filter((i) => test.labels[i] === c).slice(seed * perClass, (seed + 1) * perClass));
  const chosen = byClass.flat();
  const pixels = await test.readPixels(chosen);
  const files: { file: string; label: number }[] = [];
  for (const name of CIFAR10_CLASSES) await mkdir(path.join(root, name), { recursive: true });
  await Promise.all(
    chosen.map((index, k) => {
      const label = test.labels[index];
      const file = path.join(root, CIFAR10_CLASSES[label], `test-${String(index).padStart(5, '0')}.png`);
      files.push({ file, label });
      return png(pixels, k).png().toFile(file);
    }),
  );
  return files.sort((a, b) => (a.file < b.file ? -1 : 1));
}

async function labelErrors(test: DatasetSplit, seed: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `audit-bench-${seed}-`));
  try {
    const clean = path.join(dir, 'clean');
    const files = await writeFolder(test, clean, seed);
    const t0 = performance.now();
    const cleanReport = await auditFolder(clean, { from: opts.from!, seed, threshold });
    const cleanSec = (performance.now() - t0) / 1000;

    const noisy = path.join(dir, 'noisy');
    await writeFolder(test, noisy, seed);
    const rand = random(seed);
    const order = files
      .map((f, i) => ({ i, r: rand() }))
      .sort((a, b) => a.r - b.r)
      .slice(0, movedCount);
    const moved = new Set<string>();
    const originalClass = new Map<string, string>();
    for (const { i } of order) {
      const { file, label } = files[i];
      const wrong = (label + 1 + Math.floor(rand() * (CIFAR10_CLASSES.length - 1))) % CIFAR10_CLASSES.length;
      const from = file.replace(clean, noisy);
      const to = path.join(noisy, CIFAR10_CLASSES[wrong], path.basename(file));
      await rename(from, to);
      moved.add(to);
      originalClass.set(to, CIFAR10_CLASSES[label]);
    }
    const t1 = performance.now();
    const noisyReport = await auditFolder(noisy, { from: opts.from!, seed, threshold });
    const noisySec = (performance.now() - t1) / 1000;
    const list = noisyReport.likelyMislabeled;
    const flagged = list.filter((m) => m.flagged);
    return {
      seed,
      cvAccuracyClean: cleanReport.method.crossValidationAccuracy,
      cvAccuracyNoisy: noisyReport.method.crossValidationAccuracy,
      // The flagging threshold each audit used (calibrated on its own heads unless --threshold), and the fitted temperature.
      cleanThreshold: cleanReport.method.threshold,
      noisyThreshold: noisyReport.method.threshold,
      cleanTemperature: cleanReport.method.temperature,
      noisyTemperature: noisyReport.method.temperature,
      cleanListed: cleanReport.likelyMislabeled.length,
      cleanFlagged: cleanReport.likelyMislabeled.filter((m) => m.flagged).length,
      noisyListed: list.length,
      noisyListedMoved: list.filter((m) => moved.has(m.path)).length,
      precisionAt25: list.slice(0, movedCount).filter((m) => moved.has(m.path)).length / movedCount,
      noisyFlagged: flagged.length,
      noisyFlaggedMoved: flagged.filter((m) => moved.has(m.path)).length,
      movedSuggestedRight: list.filter((m) => moved.has(m.path) && m.suggested === originalClass.get(m.path)).length,
      cleanDuplicateGroups: cleanReport.duplicateGroups.length,
      cleanSec,
      noisySec,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Near-duplicates: 100 images of each of 10 classes (test images 5000..), plus for the first 20
 * of them a JPEG (quality 50), a 2x upscale and a 2x downscale copy in the same class folder.
 */
async function nearDuplicates(test: DatasetSplit) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'audit-bench-dup-'));
  try {
    const byClass = CIFAR10_CLASSES.map((_, c) => [...test.labels.keys()].filter((i) => test.labels[i] === c).slice(500, 600));
    const chosen = byClass.flat();
    const pixels = await test.readPixels(chosen);
    const originals: string[] = [];
    const copies = new Map<string, string[]>();
    await Promise.all(
      chosen.map(async (index, k) => {
        const folder = path.join(dir, CIFAR10_CLASSES[test.labels[index]]);
        await mkdir(folder, { recursive: true });
        const file = path.join(folder, `${index}.png`);
        await png(pixels, k).png().toFile(file);
        if (k % 5 !== 0 || originals.length >= 200) return;
        originals.push(file);
        const made = [
          [path.join(folder, `${index}-q50.jpg`), await png(pixels, k).jpeg({ quality: 50 }).toBuffer()],
          [path.join(folder, `${index}-x2.png`), await png(pixels, k).resize(64, 64).png().toBuffer()],
          [path.join(folder, `${index}-half.png`), await png(pixels, k).resize(16, 16).png().toBuffer()],
          [path.join(folder, `${index}-copy.png`), await png(pixels, k).png().toBuffer()],
        ] as const;
        for (const [to, bytes] of made) await writeFile(to, bytes);
        copies.set(
          file,
          made.map(([to]) => to),
        );
      }),
    );
    const report = await auditFolder(dir, { from: opts.from! });
    const groupOf = new Map<string, number>();
    report.duplicates.forEach((paths, g) => paths.forEach((p) => groupOf.set(p, g)));
    const found = { jpegQ50: 0, upscaled2x: 0, downscaled2x: 0, exactCopy: 0 };
    const keys = Object.keys(found) as (keyof typeof found)[];
    for (const [original, made] of copies) {
      made.forEach((copy, k) => {
        if (groupOf.has(original) && groupOf.get(copy) === groupOf.get(original)) found[keys[k]]++;
      });
    }
    // A false group: one holding two originals (distinct test images).
    const originalsSet = new Set(chosen.map((index) => `${index}.png`));
    const falseGroups = report.duplicates.filter((paths) => paths.filter((p) => originalsSet.has(path.basename(p))).length > 1);
    return {
      distinctImages: chosen.length,
      copiedImages: copies.size,
      found,
      falseGroups: falseGroups.length,
      falseGroupPaths: falseGroups.map((g) => g.map((p) => path.relative(dir, p))),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Every pair of CIFAR-10 test images of one class that the near-duplicate rule links (10 x 1000
 * images, about 5 million pairs), hashed from their pixels as the audit hashes a 32x32 PNG. The
 * test split holds some true near-copies (other crops or edits of one photo), so not every link is
 * false; `pairs` lists them for a look.
 */
async function sameClassLinks(test: DatasetSplit) {
  const all = [...test.labels.keys()];
  const pixels = await test.readPixels(all);
  const prints = all.map((i) => {
    const rgb = pixels.subarray(i * 3072, (i + 1) * 3072);
    return { hash: perceptualHash(rgb), thumbnail: colourThumbnail(rgb) };
  });
  const pairs: [number, number, number, string][] = [];
  let hashClose = 0;
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (test.labels[i] !== test.labels[j]) continue;
      const d = hammingDistance(prints[i].hash, prints[j].hash);
      if (d > NEAR_DISTANCE) continue;
      hashClose++;
      const r = thumbnailCorrelation(prints[i].thumbnail, prints[j].thumbnail);
      if (r >= MIN_CORRELATION) pairs.push([i, j, d, r.toFixed(3)]);
    }
  }
  return { images: all.length, pairsWithinHashDistance: hashClose, linkedPairs: pairs.length, pairs };
}

const test = (await loadDataset(cifar)).splits.test;
const seeds = opts.seeds === '' ? [] : opts.seeds!.split(',').map(Number);
const runs = [];
for (const seed of seeds) {
  const run = await labelErrors(test, seed);
  runs.push(run);
  if (!opts.json) console.log(JSON.stringify(run));
}
const duplicates = await nearDuplicates(test);
const links = await sameClassLinks(test);
const result = { from: opts.from, perClass, moved: movedCount, runs, duplicates, sameClassLinks: links };
if (!opts.json) console.log(JSON.stringify(links));
console.log(opts.json ? JSON.stringify(result) : JSON.stringify(duplicates, null, 1));
