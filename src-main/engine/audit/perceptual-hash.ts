/**
 * A 64-bit DCT perceptual hash (pHash, as the imagehash package computes it): the image squeezed
 * to 32x32 greyscale, its 2-D DCT-II, the 8x8 lowest frequencies, one bit per coefficient above
 * their median. Re-encoding, resizing and mild colour changes move few bits; two different
 * photographs differ in about half of them.
 */

/** Side of the greyscale square the hash is computed from. */
export const HASH_SIDE = 32;
const LOW = 8;

/** cos((2x + 1) u pi / 2N) for u < LOW, x < N: the only DCT basis values the low 8x8 block needs. */
const BASIS = (() => {
  const table = new Float64Array(LOW * HASH_SIDE);
  for (let u = 0; u < LOW; u++) {
    for (let x = 0; x < HASH_SIDE; x++) table[u * HASH_SIDE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * HASH_SIDE));
  }
  return table;
})();

/** The hash as two 32-bit halves (bit k of the 8x8 block, row-major: k < 32 in `lo`, the rest in `hi`). */
export interface PerceptualHash {
  hi: number;
  lo: number;
}

/**
 * pHash of `HASH_SIDE` x `HASH_SIDE` RGB pixels (row-major uint8, as decodeImageBuffer returns them).
 * Greyscale is ITU-R 601 luma, as PIL's 'L' mode that imagehash uses.
 */
export function perceptualHash(rgb: Uint8Array): PerceptualHash {
  const n = HASH_SIDE;
  if (rgb.length !== n * n * 3) throw new Error(`perceptualHash: expected ${n * n * 3} bytes, got ${rgb.length}`);
  const grey = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) grey[i] = 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
  // Separable DCT, rows first, keeping only the LOW lowest frequencies on each axis.
  const rows = new Float64Array(n * LOW);
  for (let y = 0; y < n; y++) {
    for (let v = 0; v < LOW; v++) {
      let s = 0;
      for (let x = 0; x < n; x++) s += grey[y * n + x] * BASIS[v * n + x];
      rows[y * LOW + v] = s;
    }
  }
  const block = new Float64Array(LOW * LOW);
  for (let u = 0; u < LOW; u++) {
    for (let v = 0; v < LOW; v++) {
      let s = 0;
      for (let y = 0; y < n; y++) s += rows[y * LOW + v] * BASIS[u * n + y];
      block[u * LOW + v] = s;
    }
  }
  const sorted = Float64Array.from(block).sort();
  const median = (sorted[(LOW * LOW) / 2 - 1] + sorted[(LOW * LOW) / 2]) / 2;
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < LOW * LOW; k++) {
    if (block[k] <= median) continue;
    if (k < 32) lo |= 1 << k;
    else hi |= 1 << (k - 32);
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

function bitCount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Bits in which two hashes differ, 0 to 64. */
export function hammingDistance(a: PerceptualHash, b: PerceptualHash): number {
  return bitCount((a.hi ^ b.hi) >>> 0) + bitCount((a.lo ^ b.lo) >>> 0);
}
