/**
 * The second look for near-duplicates: the Pearson correlation of two 16x16 colour thumbnails.
 * The perceptual hash alone puts different photos of one scene type (a ship on water, a car on
 * white) a few bits apart; their colours and layout still differ, which this sees.
 */
import { HASH_SIDE } from './perceptual-hash';

const SIDE = 16;
const CELL = HASH_SIDE / SIDE;

/**
 * A 16x16 RGB box-filtered thumbnail of `HASH_SIDE` x `HASH_SIDE` RGB pixels, centred on its mean
 * and scaled to unit length, so the dot product of two is their correlation.
 */
export function colourThumbnail(rgb: Uint8Array): Float32Array {
  const sums = new Float64Array(SIDE * SIDE * 3);
  for (let y = 0; y < HASH_SIDE; y++) {
    for (let x = 0; x < HASH_SIDE; x++) {
      const cell = (Math.floor(y / CELL) * SIDE + Math.floor(x / CELL)) * 3;
      for (let c = 0; c < 3; c++) sums[cell + c] += rgb[(y * HASH_SIDE + x) * 3 + c];
    }
  }
  const mean = sums.reduce((a, b) => a + b, 0) / sums.length;
  let norm = 0;
  for (let i = 0; i < sums.length; i++) norm += (sums[i] -= mean) ** 2;
  // A flat image has no pattern to compare: it correlates with nothing (0), not with everything.
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return Float32Array.from(sums, (v) => v * scale);
}

/** Correlation of two thumbnails from colourThumbnail, -1 to 1. */
export function thumbnailCorrelation(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
