/**
 * The audit decodes each image file once: the hashing stage keeps the pixels at the model's stored
 * size, the features stage (image and mirror) runs on them, and the hash is taken from them where
 * they are the hash's own 32x32 stretch. Counted through the real decoders (each spy calls through).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditFolder } from '../../../src-main/engine/audit/audit-folder';
import { fileListSplit } from '../../../src-main/engine/audit/file-list-split';
import { decodeImageBuffer } from '../../../src-main/engine/data/decode-image';
import { makeImageFolder } from '../../fixtures/image-folder';
import { writeBmp32 } from '../data/fixtures';
import { distinctImage, distinctPixels } from './distinct-images';

const counts = vi.hoisted(() => ({ buffer: 0, file: 0, bmp: 0 }));
vi.mock('../../../src-main/engine/data/decode-image', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src-main/engine/data/decode-image')>();
  return {
    ...real,
    decodeImageBuffer: (...args: Parameters<typeof real.decodeImageBuffer>) => (counts.buffer++, real.decodeImageBuffer(...args)),
    decodeImageFile: (...args: Parameters<typeof real.decodeImageFile>) => (counts.file++, real.decodeImageFile(...args)),
  };
});
vi.mock('../../../src-main/engine/data/bmp', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src-main/engine/data/bmp')>();
  return { ...real, decodeBmp: (...args: Parameters<typeof real.decodeBmp>) => (counts.bmp++, real.decodeBmp(...args)) };
});

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audit-decodes-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeEach(() => {
  counts.buffer = counts.file = counts.bmp = 0;
});

describe('the audit decodes', () => {
  it('each square image once, labeled or not, whatever its format (the shipped model stores 32x32)', async () => {
    const folder = path.join(dir, 'square');
    await makeImageFolder(folder, { perClass: 6, size: 32 });
    await distinctImage(1, 48)
      .jpeg({ quality: 80 })
      .toFile(path.join(folder, 'circle', 'photo.jpg'));
    await distinctImage(2)
      .jpeg({ quality: 80 })
      .toFile(path.join(folder, 'stripes', 'small.jpg'));
    await writeFile(path.join(folder, 'plain', 'bitmap.bmp'), writeBmp32(distinctPixels(3), 32, 32));
    await distinctImage(4, 64).webp().toFile(path.join(folder, 'unlabeled.webp'));
    await writeFile(path.join(folder, 'plain', 'empty.png'), Buffer.alloc(0));
    const report = await auditFolder(folder, { from: 'pretrained' });
    expect(report.unreadable.map((u) => path.basename(u.path))).toEqual(['empty.png']);
    expect(report.method.crossValidationAccuracy).not.toBeNull();
    // 18 + 3 labeled, 1 unlabeled, 1 empty file (its decode fails at once).
    expect(counts).toEqual({ buffer: 23, file: 0, bmp: 1 });
  });

  it("a non-square image twice, once for the model's centre crop and once for the hash's stretch of the whole picture", async () => {
    const folder = path.join(dir, 'wide');
    await makeImageFolder(folder, { perClass: 5, size: 32 });
    await distinctImage(5, 48)
      .resize(48, 32, { fit: 'fill' })
      .png()
      .toFile(path.join(folder, 'circle', 'wide.png'));
    await auditFolder(folder, { from: 'pretrained' });
    expect(counts).toEqual({ buffer: 15 + 2, file: 0, bmp: 0 });
  });
});

describe('the pixels the hash reuses', () => {
  it("of a square image at 32x32 are the same whether the model's fit crops ('cover') or stretches ('fill')", async () => {
    const samples = [
      await distinctImage(10).png().toBuffer(),
      await distinctImage(11).jpeg({ quality: 70 }).toBuffer(),
      await distinctImage(12, 48).jpeg({ quality: 70 }).toBuffer(),
      await distinctImage(13, 96).webp().toBuffer(),
      await distinctImage(14, 16).gif().toBuffer(),
      await distinctImage(15, 64).tiff().toBuffer(),
      writeBmp32(distinctPixels(16, 40), 40, 40),
    ];
    for (const buf of samples) {
      const cover = await decodeImageBuffer(buf, { storeSize: 32, fit: 'cover' });
      const fill = await decodeImageBuffer(buf, { storeSize: 32, fit: 'fill' });
      expect(Buffer.from(cover).equals(Buffer.from(fill))).toBe(true);
    }
  });
});

describe('fileListSplit', () => {
  it('hands out the pixels the hashing stage kept and decodes only the others (those past the budget)', async () => {
    const a = path.join(dir, 'split-a.png');
    const b = path.join(dir, 'split-b.jpg');
    await distinctImage(20, 40).png().toFile(a);
    await distinctImage(21, 40).jpeg({ quality: 80 }).toFile(b);
    const prep = { storeSize: 32, fit: 'cover' } as const;
    const real = await vi.importActual<typeof import('../../../src-main/engine/data/decode-image')>('../../../src-main/engine/data/decode-image');
    const keptA = await real.decodeImageFile(a, prep);
    const split = fileListSplit([a, b], Int32Array.of(0, 1), prep, [keptA]);
    const pixels = await split.readPixels([1, 0]);
    expect(counts).toEqual({ buffer: 0, file: 1, bmp: 0 });
    expect(Buffer.from(pixels.subarray(3072)).equals(Buffer.from(keptA))).toBe(true);
    expect(Buffer.from(pixels.subarray(0, 3072)).equals(Buffer.from(await real.decodeImageFile(b, prep)))).toBe(true);
  });
});
