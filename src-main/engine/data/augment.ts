/** Deterministic pseudo-random numbers in [0, 1) (mulberry32): same seed, same sequence. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Padding on each side before the random crop, as in the tutorial. */
export const CROP_PADDING = 4;

/**
 * Training augmentation on stored pixels: pad each image with 4 zero pixels on every side, take a
 * random `size` x `size` crop, and flip it horizontally with probability 0.5.
 * @param pixels RGB uint8 `[n, size, size, 3]`, row-major (left untouched).
 * @returns a new `[n, size, size, 3]` array.
 */
export function augmentBatch(pixels: Uint8Array, n: number, size: number, rng: () => number): Uint8Array {
  const imageBytes = size * size * 3;
  if (pixels.length !== n * imageBytes) {
    throw new Error(`augmentBatch: expected ${n * imageBytes} bytes for ${n} images of ${size}x${size}, got ${pixels.length}`);
  }
  const out = new Uint8Array(pixels.length);
  const span = 2 * CROP_PADDING + 1;
  for (let i = 0; i < n; i++) {
    // Crop origin in padded coordinates, turned into a shift of the source image.
    const dy = Math.floor(rng() * span) - CROP_PADDING;
    const dx = Math.floor(rng() * span) - CROP_PADDING;
    const flip = rng() < 0.5;
    const base = i * imageBytes;
    for (let y = 0; y < size; y++) {
      const sy = y + dy;
      if (sy < 0 || sy >= size) continue;
      for (let x = 0; x < size; x++) {
        const sx = (flip ? size - 1 - x : x) + dx;
        if (sx < 0 || sx >= size) continue;
        const to = base + (y * size + x) * 3;
        const from = base + (sy * size + sx) * 3;
        out[to] = pixels[from];
        out[to + 1] = pixels[from + 1];
        out[to + 2] = pixels[from + 2];
      }
    }
  }
  return out;
}
