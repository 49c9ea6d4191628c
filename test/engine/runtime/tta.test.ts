import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../../src-main/engine/data/preprocess';
import { evaluate } from '../../../src-main/engine/jobs/evaluate';
import { softmaxRow } from '../../../src-main/engine/metrics/metrics';
import { predictFiles } from '../../../src-main/engine/jobs/predict';
import { openLogitsRunner, type LogitsRunner } from '../../../src-main/engine/runtime/logits-runner';
import { onnxRuntimeStatus } from '../../../src-main/engine/onnx/onnx-runtime';
import { mirrorPixels, mixtureLogits, shiftPixels, TTA_VIEWS, withTta } from '../../../src-main/engine/runtime/tta';
import type { PredictionItem } from '../../../src-main/engine/types';
import { trainTinyRun } from '../train/run-fixture';

const onnx = onnxRuntimeStatus();

/** Row-major `[n, c]` softmax probabilities. */
function probabilities(logits: Float32Array, n: number, c: number): number[][] {
  return Array.from({ length: n }, (_, i) => softmaxRow(logits.subarray(i * c, (i + 1) * c)));
}

const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

describe('mirrorPixels', () => {
  it('reverses the width axis of NHWC, per image and row, keeping each pixel RGB', () => {
    // Two 2x2 images; pixel (image b, row y, column x) has channels [100b + 10y + x, +1, +2] (x, y < 2).
    const size = 2;
    const pixels = new Uint8Array(2 * size * size * 3);
    for (let b = 0; b < 2; b++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          for (let ch = 0; ch < 3; ch++) {
            pixels[((b * size + y) * size + x) * 3 + ch] = 100 * b + 10 * y + x + ch * 3;
          }
    const mirrored = mirrorPixels(pixels, 2, size);
    for (let b = 0; b < 2; b++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          for (let ch = 0; ch < 3; ch++) {
            expect(mirrored[((b * size + y) * size + x) * 3 + ch]).toBe(100 * b + 10 * y + (size - 1 - x) + ch * 3);
          }
    expect(mirrorPixels(mirrored, 2, size)).toEqual(pixels);
  });
});

describe('shiftPixels', () => {
  it('moves the image by whole pixels and fills the uncovered edge by reflection', () => {
    // One 3x3 grey image whose pixel (y, x) is 10y + x.
    const pixels = new Uint8Array(27);
    for (let p = 0; p < 9; p++) pixels.fill(10 * Math.floor(p / 3) + (p % 3), p * 3, p * 3 + 3);
    const grey = (image: Uint8Array) => Array.from({ length: 9 }, (_, p) => image[p * 3]);
    // Down-right by 1: row/column -1 reflects to 1.
    expect(grey(shiftPixels(pixels, 1, 3, 1, 1))).toEqual([11, 10, 11, 1, 0, 1, 11, 10, 11]);
    // Up-left by 1: row/column 3 reflects to 1.
    expect(grey(shiftPixels(pixels, 1, 3, -1, -1))).toEqual([11, 12, 11, 21, 22, 21, 11, 12, 11]);
    expect(shiftPixels(pixels, 1, 3, 0, 0)).toEqual(pixels);
  });
});

describe('mixtureLogits', () => {
  it('has the weighted mean of the softmax probabilities as its softmax, and stays finite where one underflows', () => {
    const a = Float32Array.from([2, -1, 0.5, 1000, 0, -1000]);
    const b = Float32Array.from([0, 3, -2, -1000, 0, 1000]);
    for (const weights of [
      [0.5, 0.5],
      [0.25, 0.75],
    ]) {
      const merged = mixtureLogits([a, b], weights, 2, 3);
      expect(merged.every(Number.isFinite)).toBe(true);
      const mean = probabilities(a, 2, 3).map((row, i) => row.map((p, j) => weights[0] * p + weights[1] * probabilities(b, 2, 3)[i][j]));
      expect(maxDiff(probabilities(merged, 2, 3), mean)).toBeLessThan(1e-6);
    }
  });
});

describe('flip test-time augmentation on a trained model', () => {
  let root: string;
  let fixture: Awaited<ReturnType<typeof trainTinyRun>>;
  let files: string[];

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shufflenet-tta-'));
    fixture = await trainTinyRun(root);
    files = fixture.classes.flatMap((name) => [0, 1].map((i) => path.join(fixture.dataset, name, `${i}.png`)));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The fixture's images as stored pixels `[n, size, size, 3]`. */
  async function storedPixels(runner: LogitsRunner): Promise<Uint8Array> {
    const prep = runner.manifest.preprocessing;
    const bytes = prep.storeSize * prep.storeSize * 3;
    const pixels = new Uint8Array(files.length * bytes);
    for (const [i, file] of files.entries()) pixels.set(await decodeImageFile(file, prep), i * bytes);
    return pixels;
  }

  for (const runtime of ['tfjs', 'onnx'] as const) {
    it.skipIf(runtime === 'onnx' && !onnx.available)(
      `averages the probabilities of each image and its mirror (and shifted copies for flip-shift) on ${runtime}`,
      async () => {
        const runner = await openLogitsRunner(fixture.run, runtime, 'cpu');
        try {
          expect(runner.runtime).toBe(runtime);
          const n = files.length;
          const c = runner.manifest.classes.length;
          const size = runner.manifest.preprocessing.storeSize;
          const pixels = await storedPixels(runner);
          const plain = probabilities(await runner.logits(pixels, n), n, c);
          const mirrored = probabilities(await runner.logits(mirrorPixels(pixels, n, size), n), n, c);
          // The model is not mirror-invariant, else this test could not fail.
          expect(maxDiff(plain, mirrored)).toBeGreaterThan(1e-4);
          const flipped = probabilities(await withTta(runner, 'flip').logits(pixels, n), n, c);
          const mean = plain.map((row, i) => row.map((p, j) => (p + mirrored[i][j]) / 2));
          expect(maxDiff(flipped, mean)).toBeLessThan(1e-5);

          // An image that is its own mirror: the same prediction with and without flip.
          const symmetric = pixels.slice();
          const flippedPixels = mirrorPixels(pixels, n, size);
          for (let row = 0; row < n * size; row++) {
            for (let x = Math.ceil(size / 2); x < size; x++) {
              for (let ch = 0; ch < 3; ch++) symmetric[(row * size + x) * 3 + ch] = flippedPixels[(row * size + x) * 3 + ch];
            }
          }
          expect(mirrorPixels(symmetric, n, size)).toEqual(symmetric);
          const withoutTta = probabilities(await runner.logits(symmetric, n), n, c);
          const withFlip = probabilities(await withTta(runner, 'flip').logits(symmetric, n), n, c);
          expect(maxDiff(withFlip, withoutTta)).toBeLessThan(1e-5);

          // flip-shift: a quarter each on the image and its mirror, an eighth on each shifted view.
          const views = [
            pixels,
            flippedPixels,
            ...[-1, 1].flatMap((d) => [shiftPixels(pixels, n, size, d, d), mirrorPixels(shiftPixels(pixels, n, size, d, d), n, size)]),
          ];
          const weights = [1 / 4, 1 / 4, 1 / 8, 1 / 8, 1 / 8, 1 / 8];
          expect(TTA_VIEWS['flip-shift'].map((v) => v.weight)).toEqual(weights);
          const each = await Promise.all(views.map(async (view) => probabilities(await runner.logits(view, n), n, c)));
          const mixture = plain.map((row, i) => row.map((_, j) => weights.reduce((sum, w, k) => sum + w * each[k][i][j], 0)));
          const shiftedTta = probabilities(await withTta(runner, 'flip-shift').logits(pixels, n), n, c);
          expect(maxDiff(shiftedTta, mixture)).toBeLessThan(1e-5);
          expect(maxDiff(shiftedTta, flipped)).toBeGreaterThan(1e-4);
        } finally {
          await runner.dispose();
        }
      },
    );
  }

  it('is what evaluation and prediction use when asked, and the evaluation names it', async () => {
    const runner = await openLogitsRunner(fixture.run, 'tfjs');
    let expected: number[][];
    try {
      const pixels = await storedPixels(runner);
      expected = probabilities(await withTta(runner, 'flip').logits(pixels, files.length), files.length, runner.manifest.classes.length);
    } finally {
      await runner.dispose();
    }
    const items: PredictionItem[] = [];
    await predictFiles({ run: fixture.run, paths: files, runtime: 'tfjs', tta: 'flip', topK: 1, onItem: (item) => items.push(item) });
    items.forEach((item, i) => {
      if (!('top' in item)) throw new Error(`${item.path} was skipped`);
      expect(item.top[0].probability).toBeCloseTo(Math.max(...expected[i]), 5);
    });

    const plain = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'validation', runtime: 'tfjs' });
    const flipped = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'validation', runtime: 'tfjs', tta: 'flip' });
    expect(plain.tta).toBe('none');
    expect(flipped.tta).toBe('flip');
    expect(flipped.count).toBe(plain.count);
    // Mirroring changes the probabilities of at least one image, so the loss moves.
    expect(flipped.loss).not.toBeCloseTo(plain.loss, 6);
    await expect(evaluate({ run: fixture.run, dataset: fixture.dataset, tta: 'rotate' as never })).rejects.toThrow(
      'tta must be one of none, flip, flip-shift, got "rotate"',
    );
  });
});
