import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBmp } from '../../../src-main/engine/data/bmp';
import { DecodeError, decodeImageBuffer, decodeImageFile } from '../../../src-main/engine/data/preprocess';
import { encode, sharedDatasets, solid, tempDir, writeBmp24, writeBmp32, writeBmp8, writeFileDeep } from './fixtures';

const prep = (storeSize: number, fit: 'cover' | 'fill' = 'fill') => ({ storeSize, fit });

/** A 5x3 image whose every pixel differs, so any flip or shift shows. */
function gradient(width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out.set([x * 40 + 10, y * 60 + 5, (x + y) * 20], (y * width + x) * 3);
  }
  return out;
}

async function decodeErrorOf(promise: Promise<unknown>): Promise<DecodeError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DecodeError);
  return err as DecodeError;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  return (await decodeErrorOf(promise)).reason;
}

describe('BMP decoder', () => {
  const w = 5;
  const h = 3;
  const rgb = gradient(w, h);

  it('reads 24-bit bottom-up and top-down rows (with row padding)', () => {
    for (const topDown of [false, true]) {
      const image = decodeBmp(writeBmp24(rgb, w, h, topDown));
      expect([image.width, image.height]).toEqual([w, h]);
      expect(Buffer.from(image.data)).toEqual(rgb);
    }
  });

  it('reads 32-bit BGRX and 8-bit palette bitmaps', () => {
    expect(Buffer.from(decodeBmp(writeBmp32(rgb, w, h)).data)).toEqual(rgb);
    const palette: [number, number, number][] = [
      [255, 0, 0],
      [0, 0, 255],
      [9, 99, 199],
    ];
    const indices = [0, 1, 2, 1, 0, 2, 2, 2, 0, 1, 1, 0, 0, 0, 1];
    const image = decodeBmp(writeBmp8(indices, palette, w, h));
    expect(Array.from(image.data)).toEqual(indices.flatMap((i) => palette[i]));
  });

  it('rejects truncated and compressed bitmaps with a reason', () => {
    const full = writeBmp24(rgb, w, h, false);
    expect(() => decodeBmp(full.subarray(0, full.length - 10))).toThrow(/damaged or incomplete BMP file \(pixel data needs/);
    const rle = Buffer.from(full);
    rle.writeUInt32LE(1, 30);
    expect(() => decodeBmp(rle)).toThrow(/unsupported BMP: RLE8/);
  });
});

describe('decodeImageFile', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir('decode')));
  afterAll(() => cleanup());

  it('decodes every supported format to storeSize x storeSize RGB', async () => {
    const colour: [number, number, number] = [200, 40, 90];
    for (const format of ['png', 'jpeg', 'webp', 'gif', 'tiff', 'bmp'] as const) {
      const path = join(dir, `solid.${format}`);
      await writeFileDeep(path, await encode(format, solid(20, 20, colour), 20, 20));
      const pixels = await decodeImageFile(path, prep(8));
      expect(pixels.length, format).toBe(8 * 8 * 3);
      // GIF's palette and JPEG's chroma loss move a solid colour a little; the rest are exact.
      const tolerance = format === 'jpeg' || format === 'gif' ? 8 : 0;
      for (let c = 0; c < 3; c++) expect(Math.abs(pixels[(4 * 8 + 4) * 3 + c] - colour[c]), `${format} channel ${c}`).toBeLessThanOrEqual(tolerance);
    }
  });

  it('keeps exact pixels when no resize is needed (PNG and BMP agree)', async () => {
    const rgb = gradient(5, 5);
    const fromPng = await decodeImageBuffer(await encode('png', rgb, 5, 5), prep(5));
    const fromBmp = await decodeImageBuffer(writeBmp24(rgb, 5, 5, true), prep(5));
    expect(Buffer.from(fromPng)).toEqual(rgb);
    expect(Buffer.from(fromBmp)).toEqual(rgb);
  });

  it("'cover' crops the centre, 'fill' stretches", async () => {
    // 30x10: red left third, green middle, blue right third.
    const rgb = Buffer.alloc(30 * 10 * 3);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 30; x++) rgb.set(x < 10 ? [255, 0, 0] : x < 20 ? [0, 255, 0] : [0, 0, 255], (y * 30 + x) * 3);
    const png = await encode('png', rgb, 30, 10);
    const cover = await decodeImageBuffer(png, prep(6, 'cover'));
    const fill = await decodeImageBuffer(png, prep(6, 'fill'));
    const at = (pixels: Uint8Array, x: number) => Array.from(pixels.subarray((3 * 6 + x) * 3, (3 * 6 + x + 1) * 3));
    // Cover keeps only the green middle; fill squeezes all three bands in. Resampling blurs edges a little.
    const near = (actual: number[], expected: number[]) => actual.every((v, c) => Math.abs(v - expected[c]) <= 24);
    for (const x of [0, 1, 2, 3, 4, 5]) expect(near(at(cover, x), [0, 255, 0]), `cover x=${x}: ${at(cover, x)}`).toBe(true);
    expect(near(at(fill, 0), [255, 0, 0]), `fill x=0: ${at(fill, 0)}`).toBe(true);
    expect(near(at(fill, 5), [0, 0, 255]), `fill x=5: ${at(fill, 5)}`).toBe(true);
  });

  it('applies EXIF orientation and flattens transparency on black', async () => {
    // Left half red, right half blue, stored with orientation 6 (display rotated 90 degrees clockwise):
    // shown upright, red is on top.
    const rgb = Buffer.alloc(16 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) rgb.set(x < 8 ? [250, 0, 0] : [0, 0, 250], (y * 16 + x) * 3);
    const jpeg = await sharp(rgb, { raw: { width: 16, height: 8, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const upright = await decodeImageBuffer(jpeg, prep(8, 'fill'));
    expect(upright[(1 * 8 + 4) * 3]).toBeGreaterThan(200);
    expect(upright[(6 * 8 + 4) * 3 + 2]).toBeGreaterThan(200);

    const rgba = Buffer.from([255, 255, 255, 0, 255, 255, 255, 255, 200, 100, 0, 255, 0, 0, 0, 0]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    expect(Array.from(await decodeImageBuffer(png, prep(2)))).toEqual([0, 0, 0, 255, 255, 255, 200, 100, 0, 0, 0, 0]);
  });

  it('turns grey images into three equal channels', async () => {
    const grey = await sharp(Buffer.alloc(16, 77), { raw: { width: 4, height: 4, channels: 1 } })
      .png()
      .toBuffer();
    expect(Array.from(await decodeImageBuffer(grey, prep(2)))).toEqual(new Array(12).fill(77));
  });

  it('gives a specific reason for each kind of bad file', async () => {
    const png = await encode('png', solid(16, 16, [1, 2, 3]), 16, 16);
    const jpeg = await encode('jpeg', gradient(16, 16), 16, 16);
    await writeFileDeep(join(dir, 'empty.png'), Buffer.alloc(0));
    await writeFileDeep(join(dir, 'text.jpg'), 'hello, I am text\n');
    await writeFileDeep(join(dir, 'page.png'), '<!DOCTYPE html><html><body>404</body></html>');
    await writeFileDeep(join(dir, 'cut.png'), png.subarray(0, 60));
    await writeFileDeep(join(dir, 'cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    await writeFileDeep(join(dir, 'noise.webp'), Buffer.from([0, 1, 2, 3, 250, 251, 0, 7]));
    expect(await reasonOf(decodeImageFile(join(dir, 'empty.png'), prep(8)))).toBe('empty file (0 bytes)');
    expect(await reasonOf(decodeImageFile(join(dir, 'text.jpg'), prep(8)))).toBe('not an image (text file)');
    expect(await reasonOf(decodeImageFile(join(dir, 'page.png'), prep(8)))).toBe('not an image (HTML page)');
    // Plain words in the reason; libvips's own message ("VipsJpeg: ...") only in the detail.
    const cutPng = await decodeErrorOf(decodeImageFile(join(dir, 'cut.png'), prep(8)));
    expect(cutPng.reason).toBe('damaged or incomplete PNG file');
    expect(cutPng.detail).toMatch(/\S/);
    const cutJpeg = await decodeErrorOf(decodeImageFile(join(dir, 'cut.jpg'), prep(8)));
    expect(cutJpeg.reason).toBe('damaged or incomplete JPEG file');
    expect(cutJpeg.detail).toMatch(/JPEG|jpeg/);
    expect(await reasonOf(decodeImageFile(join(dir, 'noise.webp'), prep(8)))).toBe('not an image (unrecognised binary content)');
    const missing = await decodeErrorOf(decodeImageFile(join(dir, 'missing.png'), prep(8)));
    expect([missing.reason, missing.detail]).toEqual(['cannot read the file (it no longer exists)', 'ENOENT']);
  });

  it('reports the shared bad images with reasons', async (context) => {
    const shared = sharedDatasets();
    if (!shared) return context.skip('../shared/datasets not found (set SHUFFLENET_DATASETS); skipping real bad-images');
    const bad = join(shared, 'bad-images');
    expect(await reasonOf(decodeImageFile(join(bad, 'empty.png'), prep(32)))).toBe('empty file (0 bytes)');
    expect(await reasonOf(decodeImageFile(join(bad, 'broken.jpg'), prep(32)))).toBe('not an image (text file)');
    expect(await reasonOf(decodeImageFile(join(bad, 'truncated.png'), prep(32)))).toBe('damaged or incomplete PNG file');
    // The intact original of truncated.png decodes exactly (32x32 PNG, no resize).
    const cat = await decodeImageFile(join(shared, 'folder-sample/cat/0.png'), prep(32));
    const { data } = await sharp(await readFile(join(shared, 'folder-sample/cat/0.png')))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(Buffer.from(cat)).toEqual(data);
  });
});
