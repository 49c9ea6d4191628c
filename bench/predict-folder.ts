/**
 * Folder prediction end to end (read, decode, resize, infer, stream results) against the model-only
 * rate of the same runtime, with the process's peak resident memory. Issue 4's targets: at least 80%
 * of the model-only rate on 10,000 JPEGs, and under 1.5 GB resident whatever the folder size.
 *
 *   node --import tsx bench/predict-folder.ts --run RUN_DIR [--count 10000] [--folder DIR] [--json]
 *
 * The JPEGs are the CIFAR-10 test images (../shared, or SHUFFLENET_DATASETS) written once into
 * --folder (default: a folder in the OS temp directory), or generated images where the data is absent.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadDataset } from '../src-main/engine/data/load-dataset';
import { openLogitsRunner } from '../src-main/engine/runtime/logits-runner';
import { predictFolder } from '../src-main/engine/jobs/predict';

const { values: opts } = parseArgs({
  options: {
    run: { type: 'string' },
    count: { type: 'string', default: '10000' },
    folder: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
if (!opts.run) throw new Error('--run RUN_DIR is required (a trained run, e.g. from `npm run cli -- train`)');
const count = Number(opts.count);
const folder = opts.folder ?? path.join(os.tmpdir(), `studio-bench-jpegs-${count}`);
const cifar = path.resolve(process.env.SHUFFLENET_DATASETS ?? path.resolve(import.meta.dirname, '../../shared/datasets'), 'cifar10/cifar-10-batches-bin');

async function writeJpegs(): Promise<void> {
  await mkdir(folder, { recursive: true });
  if ((await readdir(folder)).length >= count) return;
  const split = existsSync(cifar) ? (await loadDataset(cifar)).splits.test : null;
  for (let start = 0; start < count; start += 500) {
    const indices = Array.from({ length: Math.min(500, count - start) }, (_, i) => start + i);
    const pixels = split ? await split.readPixels(indices.map((i) => i % split.count)) : null;
    await Promise.all(
      indices.map((index, k) => {
        const raw = pixels ? Buffer.from(pixels.subarray(k * 3072, (k + 1) * 3072)) : Buffer.alloc(3072, index % 256);
        return sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
          .jpeg({ quality: 90 })
          .toFile(path.join(folder, `${String(index).padStart(5, '0')}.jpg`));
      }),
    );
  }
}

/**
 * Model-only rate: the same runtime on pixels already in memory, for at least `seconds` (a few
 * batches alone were too short a window on a shared machine).
 */
async function modelOnlyRate(batch: number, seconds = 4): Promise<{ imagesPerSec: number; runtime: string }> {
  const runner = await openLogitsRunner(opts.run!);
  const s = runner.manifest.preprocessing.storeSize;
  const pixels = Uint8Array.from({ length: batch * s * s * 3 }, (_, i) => (i * 31) % 256);
  await runner.logits(pixels, batch);
  let images = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await runner.logits(pixels, batch);
    images += batch;
  }
  const imagesPerSec = images / ((performance.now() - t0) / 1000);
  const runtime = runner.runtime;
  await runner.dispose();
  return { imagesPerSec, runtime };
}

await writeJpegs();
const BATCH = 64;
const before = await modelOnlyRate(BATCH);
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
let predicted = 0;
const t0 = performance.now();
await predictFolder({ run: opts.run, folder, batchSize: BATCH, onItem: (item) => void ('top' in item && (predicted += 1)) });
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
// Measured on both sides of the end-to-end pass, so a change in the machine's load shows as a gap.
const after = await modelOnlyRate(BATCH);
const modelOnly = { runtime: before.runtime, imagesPerSec: (before.imagesPerSec + after.imagesPerSec) / 2 };
const endToEnd = predicted / seconds;
const result = {
  images: predicted,
  runtime: modelOnly.runtime,
  batch: BATCH,
  endToEndImagesPerSec: endToEnd,
  modelOnlyImagesPerSec: modelOnly.imagesPerSec,
  modelOnlyBeforeAfter: [before.imagesPerSec, after.imagesPerSec],
  ratio: endToEnd / modelOnly.imagesPerSec,
  peakRssMB: peakRss / 2 ** 20,
};
console.log(opts.json ? JSON.stringify(result) : result);
