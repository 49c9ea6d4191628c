import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** Images whose evidence is known: one coloured square pasted on a plain grey background. */
export const BACKGROUND = 128;
export const OBJECT_COLOURS = {
  red: [210, 30, 30],
  blue: [30, 40, 210],
  green: [30, 190, 40],
  black: [20, 20, 20],
  white: [240, 240, 240],
  yellow: [230, 210, 30],
} as const;
/** 'empty': the background alone, so the evidence for a square is the square and nothing else. */
export type ObjectClass = keyof typeof OBJECT_COLOURS | 'empty';

export interface PastedSquare {
  cls: ObjectClass;
  /** Top-left corner and side, in pixels of the `size` x `size` image. */
  x: number;
  y: number;
  side: number;
}

/** RGB uint8 `[size, size, 3]` of a grey image with `square` pasted on it. */
export function pastedSquarePixels(size: number, square: PastedSquare): Uint8Array {
  const pixels = new Uint8Array(size * size * 3).fill(BACKGROUND);
  if (square.cls === 'empty') return pixels;
  const colour = OBJECT_COLOURS[square.cls];
  for (let y = square.y; y < square.y + square.side; y++) {
    for (let x = square.x; x < square.x + square.side; x++) pixels.set(colour, (y * size + x) * 3);
  }
  return pixels;
}

export function pngOf(pixels: Uint8Array, size: number): Promise<Buffer> {
  return sharp(Buffer.from(pixels), { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

/** A seeded square at a random position (Park-Miller), so every run writes the same folder. */
export function randomSquares(count: number, size: number, side: number, seed: number, classes: readonly ObjectClass[] = ['red', 'blue']): PastedSquare[] {
  let state = seed;
  const next = () => (state = (state * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: count }, (_, i) => ({
    cls: classes[i % classes.length],
    x: Math.floor(next() * (size - side + 1)),
    y: Math.floor(next() * (size - side + 1)),
    side,
  }));
}

/** A class-per-folder dataset (one folder per class) of `perClass` images each, squares at seeded random positions. */
export async function writePastedSquareFolder(
  root: string,
  options: { classes: readonly ObjectClass[]; perClass: number; size: number; side: number; seed?: number },
): Promise<void> {
  const squares = randomSquares(options.perClass * options.classes.length, options.size, options.side, options.seed ?? 7, options.classes);
  for (const cls of options.classes) await mkdir(path.join(root, cls), { recursive: true });
  for (const [i, square] of squares.entries()) {
    await writeFile(path.join(root, square.cls, `${i}.png`), await pngOf(pastedSquarePixels(options.size, square), options.size));
  }
}
