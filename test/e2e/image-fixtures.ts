import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

const root = join(import.meta.dirname, '..', '..');
const CLASSES = ['cat', 'dog', 'ship'] as const;

/** folder-sample from the shared datasets (env SHUFFLENET_DATASETS or ../shared/datasets), if present. */
function sharedFolderSample(): string | null {
  const base = process.env.SHUFFLENET_DATASETS ?? resolve(root, '..', 'shared', 'datasets');
  const dir = join(base, 'folder-sample');
  return CLASSES.every((name) => existsSync(join(dir, name))) ? dir : null;
}

/** A deterministic 32x32 picture per class: a colour and a stripe direction the model can learn. */
async function syntheticImage(classIndex: number, n: number): Promise<Buffer> {
  const size = 32;
  const pixels = Buffer.alloc(size * size * 3);
  let seed = classIndex * 7919 + n * 104729 + 1;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648) * 60 - 30;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const stripe = (classIndex === 0 ? y : classIndex === 1 ? x : x + y) % 8 < 4 ? 1 : 0.45;
      const base = [40, 40, 40];
      base[classIndex] = 220;
      for (let c = 0; c < 3; c++) {
        pixels[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base[c]! * stripe + noise())));
      }
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

/** Writes image `n` of class `classIndex` to `dest`, from folder-sample or generated. */
async function placeImage(classIndex: number, n: number, dest: string): Promise<void> {
  const shared = sharedFolderSample();
  if (shared) {
    copyFileSync(join(shared, CLASSES[classIndex]!, `${n}.png`), dest);
    return;
  }
  writeFileSync(dest, await syntheticImage(classIndex, n));
}

export interface LabelingFolder {
  dir: string;
  classes: readonly string[];
  labeledPerClass: number;
  unlabeled: string[];
  source: 'folder-sample' | 'generated';
}

/**
 * An image folder as a person brings it: one sub-folder per class (12 images each) and a few
 * images at the top level that have no class yet (2 per class, named after their true class).
 */
export async function createLabelingFolder(dir: string): Promise<LabelingFolder> {
  const labeledPerClass = 12;
  const unlabeled: string[] = [];
  for (const [c, name] of CLASSES.entries()) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let n = 0; n < labeledPerClass; n++) await placeImage(c, n, join(dir, name, `${n}.png`));
    for (let n = labeledPerClass; n < labeledPerClass + 2; n++) {
      const file = `${name}-${n}.png`;
      await placeImage(c, n, join(dir, file));
      unlabeled.push(file);
    }
  }
  return { dir, classes: CLASSES, labeledPerClass, unlabeled, source: sharedFolderSample() ? 'folder-sample' : 'generated' };
}

export interface PredictFolder {
  dir: string;
  images: string[];
  broken: string;
}

/** A folder to predict: two unseen images per class and one broken file that must be reported as skipped. */
export async function createPredictFolder(dir: string): Promise<PredictFolder> {
  mkdirSync(dir, { recursive: true });
  const images: string[] = [];
  for (const [c, name] of CLASSES.entries()) {
    for (let n = 20; n < 22; n++) {
      const file = `${name}-${n}.png`;
      await placeImage(c, n, join(dir, file));
      images.push(file);
    }
  }
  const broken = 'broken.jpg';
  writeFileSync(join(dir, broken), 'this is not a JPEG\n');
  return { dir, images: images.sort(), broken };
}

/** Every file in `dir` (one level), for building a browser-side drop. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
}
