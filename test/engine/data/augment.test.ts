import { describe, expect, it } from 'vitest';
import { augmentBatch, createRng } from '../../../src-main/engine/data/augment';

/** Image `n` of side `size` with a distinct value per pixel and channel (never zero). */
function distinct(n: number, size: number): Uint8Array {
  const out = new Uint8Array(n * size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = 1 + (i % 250);
  return out;
}

describe('createRng', () => {
  it('is deterministic per seed and uniform enough in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    const rng = createRng(7);
    const draws = Array.from({ length: 10_000 }, rng);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});

describe('augmentBatch', () => {
  const size = 6;

  it('shifts by at most 4 pixels with zero fill, flips about half the time, and keeps the input', () => {
    const n = 400;
    const pixels = distinct(n, size);
    const copy = pixels.slice();
    const out = augmentBatch(pixels, n, size, createRng(1));
    expect(pixels).toEqual(copy);
    let flips = 0;
    const shifts = new Set<string>();
    for (let i = 0; i < n; i++) {
      const base = i * size * size * 3;
      const src = (y: number, x: number, c: number) => (y < 0 || y >= size || x < 0 || x >= size ? 0 : pixels[base + (y * size + x) * 3 + c]);
      // Exactly one (dy, dx, flip) with |d| <= 4 must explain the output image.
      const matches: string[] = [];
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          for (const flip of [false, true]) {
            let ok = true;
            for (let y = 0; y < size && ok; y++) {
              for (let x = 0; x < size && ok; x++) {
                const sx = (flip ? size - 1 - x : x) + dx;
                for (let c = 0; c < 3; c++) if (out[base + (y * size + x) * 3 + c] !== src(y + dy, sx, c)) ok = false;
              }
            }
            if (ok) matches.push(`${dy},${dx},${flip}`);
          }
        }
      }
      expect(matches.length, `image ${i}`).toBeGreaterThanOrEqual(1);
      if (matches.every((m) => m.endsWith('true'))) flips++;
      shifts.add(matches[0].split(',').slice(0, 2).join(','));
    }
    expect(flips / n).toBeGreaterThan(0.4);
    expect(flips / n).toBeLessThan(0.6);
    expect(shifts.size).toBeGreaterThan(60);
  });

  it('is reproducible with the same seed', () => {
    const pixels = distinct(8, size);
    expect(augmentBatch(pixels, 8, size, createRng(5))).toEqual(augmentBatch(pixels, 8, size, createRng(5)));
    expect(augmentBatch(pixels, 8, size, createRng(5))).not.toEqual(augmentBatch(pixels, 8, size, createRng(6)));
  });

  it('checks the buffer length', () => {
    expect(() => augmentBatch(new Uint8Array(10), 1, size, createRng(1))).toThrow(/expected 108 bytes/);
  });
});
