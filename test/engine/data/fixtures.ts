import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `shufflenet-data-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The shared real datasets (env SHUFFLENET_DATASETS or ../shared/datasets), or null when absent. */
export function sharedDatasets(): string | null {
  const dir = process.env.SHUFFLENET_DATASETS ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/datasets');
  return existsSync(dir) ? dir : null;
}

export type Rgb = [number, number, number];

/** Solid-colour RGB pixels `[height, width, 3]`. */
export function solid(width: number, height: number, rgb: Rgb): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(rgb, i * 3);
  return out;
}

/** Encodes raw RGB in the given format with sharp (BMP with our own writer). */
export async function encode(format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'bmp', rgb: Buffer, width: number, height: number): Promise<Buffer> {
  if (format === 'bmp') return writeBmp24(rgb, width, height, false);
  const image = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (format === 'jpeg') return image.jpeg({ quality: 95 }).toBuffer();
  if (format === 'webp') return image.webp({ lossless: true }).toBuffer();
  if (format === 'tiff') return image.tiff({ compression: 'lzw' }).toBuffer();
  return image.toFormat(format).toBuffer();
}

function bmpHeaders(width: number, height: number, bpp: number, dataBytes: number, paletteBytes: number, topDown: boolean): Buffer {
  const offset = 14 + 40 + paletteBytes;
  const head = Buffer.alloc(14 + 40);
  head.write('BM', 0, 'latin1');
  head.writeUInt32LE(offset + dataBytes, 2);
  head.writeUInt32LE(offset, 10);
  head.writeUInt32LE(40, 14);
  head.writeInt32LE(width, 18);
  head.writeInt32LE(topDown ? -height : height, 22);
  head.writeUInt16LE(1, 26);
  head.writeUInt16LE(bpp, 28);
  head.writeUInt32LE(dataBytes, 34);
  return head;
}

/** An uncompressed 24-bit BMP of RGB pixels, bottom-up (the usual) or top-down. */
export function writeBmp24(rgb: Buffer, width: number, height: number, topDown: boolean): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const data = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const row = (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      data[row + x * 3] = rgb[s + 2];
      data[row + x * 3 + 1] = rgb[s + 1];
      data[row + x * 3 + 2] = rgb[s];
    }
  }
  return Buffer.concat([bmpHeaders(width, height, 24, data.length, 0, topDown), data]);
}

/** A 32-bit BI_RGB BMP (BGRX, the X byte left at zero as most writers do). */
export function writeBmp32(rgb: Buffer, width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = ((height - 1 - y) * width + x) * 4;
      data[d] = rgb[s + 2];
      data[d + 1] = rgb[s + 1];
      data[d + 2] = rgb[s];
    }
  }
  return Buffer.concat([bmpHeaders(width, height, 32, data.length, 0, false), data]);
}

/** An 8-bit palette BMP: `indices` per pixel, `palette` as RGB triples. */
export function writeBmp8(indices: number[], palette: Rgb[], width: number, height: number): Buffer {
  const stride = Math.ceil(width / 4) * 4;
  const data = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[(height - 1 - y) * stride + x] = indices[y * width + x];
  const pal = Buffer.alloc(palette.length * 4);
  palette.forEach(([r, g, b], i) => pal.set([b, g, r, 0], i * 4));
  const head = bmpHeaders(width, height, 8, data.length, pal.length, false);
  head.writeUInt32LE(palette.length, 46);
  return Buffer.concat([head, pal, data]);
}

export async function writeFileDeep(path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

/** Colour of class `c` in the folder fixtures: far apart so even JPEG keeps them distinct. */
export const CLASS_COLOURS: Rgb[] = [
  [220, 30, 30],
  [30, 200, 40],
  [40, 60, 210],
];

/**
 * A labelled folder: classes `ants` (PNG, JPEG, WEBP at two depths), `bees` (BMP, GIF, TIFF,
 * upper-case extensions) and `cats` (PNG); one root-level unlabeled PNG; broken files (empty,
 * text named .jpg, truncated PNG); hidden files and a non-image file that must be ignored.
 */
export async function makeMixedFolder(root: string): Promise<{ good: number; broken: string[] }> {
  const s = 12;
  const img = (c: number) => solid(s, s, CLASS_COLOURS[c]);
  const files: [string, Buffer | string][] = [
    ['ants/a1.png', await encode('png', img(0), s, s)],
    ['ants/a2.jpg', await encode('jpeg', img(0), s, s)],
    ['ants/deep/er/a3.webp', await encode('webp', img(0), s, s)],
    ['ants/deep/a4.PNG', await encode('png', img(0), s, s)],
    ['ants/a5.jpeg', await encode('jpeg', img(0), s, s)],
    ['bees/b1.bmp', await encode('bmp', img(1), s, s)],
    ['bees/b2.GIF', await encode('gif', img(1), s, s)],
    ['bees/nested/b3.tiff', await encode('tiff', img(1), s, s)],
    ['bees/b4.TIF', await encode('tiff', img(1), s, s)],
    ['cats/c1.png', await encode('png', img(2), s, s)],
    ['cats/c2.png', await encode('png', img(2), s, s)],
    ['cats/c3.png', await encode('png', img(2), s, s)],
    ['loose.png', await encode('png', solid(s, s, [128, 128, 128]), s, s)],
    ['cats/empty.png', Buffer.alloc(0)],
    ['bees/text.jpg', 'This is a plain text file, not a JPEG image.\n'],
    ['ants/truncated.png', (await encode('png', img(0), s, s)).subarray(0, 60)],
    ['.hidden.png', await encode('png', img(0), s, s)],
    ['cats/.thumbs/c9.png', await encode('png', img(0), s, s)],
    ['.secret/d1.png', await encode('png', img(0), s, s)],
    ['cats/notes.txt', 'not an image extension, ignored'],
  ];
  for (const [rel, data] of files) await writeFileDeep(join(root, rel), data);
  return { good: 13, broken: ['ants/truncated.png', 'bees/text.jpg', 'cats/empty.png'] };
}
