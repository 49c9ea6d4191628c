/** Pictures that differ as photos do (random blobs of colour on a random gradient), for duplicate tests that must not group them. */
import sharp from 'sharp';

function random(seed: number): () => number {
  let state = (seed * 7919 + 17) % 2147483647 || 1;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

/** Raw RGB `[size, size, 3]` of picture number `seed`. */
export function distinctPixels(seed: number, size = 32): Buffer {
  const rand = random(seed);
  const base = [0, 1, 2].map(() => [rand() * 255, rand() * 255]);
  const angle = rand() * Math.PI * 2;
  const blobs = Array.from({ length: 5 }, () => ({
    x: rand() * size,
    y: rand() * size,
    r: (0.1 + rand() * 0.3) * size,
    colour: [rand(), rand(), rand()].map((c) => c * 255),
  }));
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = ((x - size / 2) * Math.cos(angle) + (y - size / 2) * Math.sin(angle)) / size + 0.5;
      const rgb = base.map(([a, b]) => a + (b - a) * t);
      for (const blob of blobs) {
        const w = Math.exp(-((x - blob.x) ** 2 + (y - blob.y) ** 2) / (2 * blob.r ** 2));
        for (let c = 0; c < 3; c++) rgb[c] = rgb[c] * (1 - w) + blob.colour[c] * w;
      }
      for (let c = 0; c < 3; c++) pixels[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c])));
    }
  }
  return pixels;
}

/** Picture number `seed` as a sharp pipeline, ready to be encoded or resized. */
export function distinctImage(seed: number, size = 32): sharp.Sharp {
  return sharp(distinctPixels(seed, size), { raw: { width: size, height: size, channels: 3 } });
}
