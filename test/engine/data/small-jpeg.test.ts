import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeImageBuffer } from '../../../src-main/engine/data/preprocess';
import { decodeSmallJpeg } from '../../../src-main/engine/data/small-jpeg';

/** A smooth colour picture (gradients plus a soft disc), like a photo more than like noise. */
function picture(size: number): Buffer {
  const out = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const disc = (x - size / 2) ** 2 + (y - size / 3) ** 2 < (size / 4) ** 2 ? 80 : 0;
      out.set([(x * 200) / size + disc, (y * 180) / size + 30, 120 - disc], (y * size + x) * 3);
    }
  }
  return out;
}

const raw = (size: number) => sharp(picture(size), { raw: { width: size, height: size, channels: 3 } });

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('small JPEG fast path', () => {
  it('decodes a JPEG of the stored size close to what sharp decodes', async () => {
    for (const progressive of [false, true]) {
      const file = await raw(32).jpeg({ quality: 90, progressive }).toBuffer();
      const fast = decodeSmallJpeg(file, 32);
      expect(fast, `progressive ${progressive}`).not.toBeNull();
      const viaSharp = await sharp(file).raw().toBuffer();
      expect(fast!.length).toBe(32 * 32 * 3);
      // Chroma upsampling differs at the disc's hard edge; a flipped or channel-swapped image differs by tens.
      expect(meanAbsDiff(fast!, viaSharp)).toBeLessThan(4);
      expect(meanAbsDiff(fast!, picture(32))).toBeLessThan(6);
      expect(Buffer.from(await decodeImageBuffer(file, { storeSize: 32, fit: 'cover' }))).toEqual(Buffer.from(fast!));
    }
  });

  it('expands a grey JPEG to equal R, G and B', async () => {
    const file = await raw(16).grayscale().jpeg().toBuffer();
    const fast = decodeSmallJpeg(file, 16)!;
    expect(fast).not.toBeNull();
    for (let i = 0; i < fast.length; i += 3) expect([fast[i + 1], fast[i + 2]]).toEqual([fast[i], fast[i]]);
  });

  it('leaves other sizes, EXIF orientation and ICC profiles to sharp', async () => {
    const larger = await raw(48).jpeg().toBuffer();
    expect(decodeSmallJpeg(larger, 32)).toBeNull();
    expect((await decodeImageBuffer(larger, { storeSize: 32, fit: 'cover' })).length).toBe(32 * 32 * 3);

    const rotated = await raw(32).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(decodeSmallJpeg(rotated, 32)).toBeNull();
    const withProfile = await raw(32).jpeg().withIccProfile('srgb').toBuffer();
    expect(decodeSmallJpeg(withProfile, 32)).toBeNull();
  });

  it('hands a truncated file to sharp, which names the problem', async () => {
    const file = await raw(32).jpeg().toBuffer();
    const truncated = file.subarray(0, Math.floor(file.length * 0.6));
    expect(decodeSmallJpeg(truncated, 32)).toBeNull();
    const err = await decodeImageBuffer(truncated, { storeSize: 32, fit: 'cover' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe('damaged or incomplete JPEG file');
    expect((err as DecodeError).detail).toMatch(/\S/);
  });
});
