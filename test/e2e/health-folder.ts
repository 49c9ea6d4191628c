import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * Class name -> the hue (degrees) of its shapes: classes any model's colour features tell apart,
 * named so that the palette's first three colours (blue, orange, green, by name order) roughly match.
 */
const HUES = { ocean: 230, poppies: 0, vines: 120 } as const;
export type HealthClass = keyof typeof HUES;

/** A small seeded generator, so every run draws the same pictures. */
function random(seed: number): () => number {
  // mulberry32: neighbouring seeds give unrelated sequences (a plain LCG's first draws follow the seed).
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * One 64x64 picture: a few shapes of the class's hue at random places and sizes on a grey
 * background. Each picture has its own layout, so only a real copy is a duplicate (the audit's
 * perceptual hash and thumbnail correlation find no two drawings alike), while the colour says the
 * class plainly.
 */
async function drawing(hue: number, seed: number): Promise<Buffer> {
  const rand = random(seed);
  const grey = Math.round(60 + rand() * 140);
  const shapes: string[] = [];
  const count = 3 + Math.floor(rand() * 3);
  for (let i = 0; i < count; i++) {
    const fill = `hsl(${hue + (rand() - 0.5) * 24}, ${70 + rand() * 30}%, ${35 + rand() * 30}%)`;
    const [x, y, r] = [rand() * 64, rand() * 64, 6 + rand() * 16];
    shapes.push(
      rand() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"/>`
        : `<rect x="${x - r}" y="${y - r / 2}" width="${2 * r}" height="${r}" fill="${fill}" transform="rotate(${rand() * 180} ${x} ${y})"/>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="rgb(${grey},${grey},${grey})"/>${shapes.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export interface HealthFolder {
  dir: string;
  classes: HealthClass[];
  /** An exact copy of `copied`, both relative to `dir`. */
  copy: string;
  copied: string;
  /** An ocean (blue) drawing filed under poppies (red), relative to `dir`. */
  misfiled: string;
}

/**
 * A class-per-folder dataset with two known faults: an exact copy of one image, and one image
 * filed under the wrong class. `perClass` drawings per class (5-fold cross-validation needs 5).
 */
export async function createHealthFolder(dir: string, perClass = 10): Promise<HealthFolder> {
  const classes = Object.keys(HUES) as HealthClass[];
  for (const [c, name] of classes.entries()) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let n = 0; n < perClass; n++) writeFileSync(join(dir, name, `${n}.png`), await drawing(HUES[name], 1000 * (c + 1) + n));
  }
  const copied = 'poppies/0.png';
  const copy = 'poppies/0-copy.png';
  copyFileSync(join(dir, copied), join(dir, copy));
  const misfiled = 'poppies/ocean-stray.png';
  writeFileSync(join(dir, misfiled), await drawing(HUES.ocean, 99_999));
  return { dir, classes, copy, copied, misfiled };
}
