import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Preprocessing } from '../types';
import { decodeBmp } from './bmp';
import { DecodeError, errnoInWords } from './decode-error';
import { decodeSmallJpeg } from './small-jpeg';

export type ImageFormat = 'PNG' | 'JPEG' | 'GIF' | 'WebP' | 'TIFF' | 'BMP';

/** Recognises an image by its first bytes (the extension may lie). */
export function sniffImageFormat(buf: Uint8Array): ImageFormat | null {
  const at = (offset: number, bytes: number[]) => bytes.every((b, i) => buf[offset + i] === b);
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (at(0, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (at(0, [0x47, 0x49, 0x46, 0x38])) return 'GIF';
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return 'WebP';
  if (at(0, [0x49, 0x49, 0x2a, 0x00]) || at(0, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (at(0, [0x42, 0x4d])) return 'BMP';
  return null;
}

/** Why a file without an image signature is not an image, as a person would put it. */
function describeNonImage(buf: Uint8Array): string {
  const head = Buffer.from(buf.subarray(0, 512));
  const text = head.toString('latin1');
  if (text.startsWith('%PDF')) return 'not an image (PDF document)';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'not an image (ZIP archive)';
  if (/^\s*<(!doctype html|html)/i.test(text)) return 'not an image (HTML page)';
  let printable = 0;
  for (const b of head) {
    if (b === 0) return 'not an image (unrecognised binary content)';
    if (b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  }
  return printable === head.length ? 'not an image (text file)' : 'not an image (unrecognised binary content)';
}

/**
 * Decodes image bytes to `storeSize` x `storeSize` RGB: EXIF rotation applied, alpha flattened
 * on black, grey or CMYK converted to sRGB, resized with `prep.fit` ('cover' crops the centre,
 * 'fill' stretches). Only the first frame of a GIF or page of a TIFF is used. A plain JPEG that
 * already has the stored size takes a faster decoder (./small-jpeg).
 * @returns RGB uint8 `[storeSize, storeSize, 3]`, row-major.
 * @throws DecodeError with a specific reason when the bytes are not a usable image.
 */
export async function decodeImageBuffer(buf: Uint8Array, prep: Pick<Preprocessing, 'storeSize' | 'fit'>): Promise<Uint8Array> {
  if (buf.length === 0) throw new DecodeError('empty file (0 bytes)');
  const format = sniffImageFormat(buf);
  const size = prep.storeSize;
  if (format === 'JPEG') {
    const pixels = decodeSmallJpeg(buf, size);
    if (pixels) return pixels;
  }
  let pipeline: sharp.Sharp;
  if (format === 'BMP') {
    const bmp = decodeBmp(buf);
    pipeline = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 3 } });
  } else {
    if (format === null) {
      const reason = describeNonImage(buf);
      if (!reason.includes('binary')) throw new DecodeError(reason);
    }
    // 'error' tolerates libjpeg's harmless warnings but still rejects truncated data.
    pipeline = sharp(buf, { failOn: 'error' }).rotate();
  }
  try {
    const { data, info } = await pipeline
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .toColourspace('srgb')
      .resize(size, size, { fit: prep.fit === 'fill' ? 'fill' : 'cover' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size || info.height !== size) {
      throw new DecodeError(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    const message = (err as Error).message.split('\n')[0].trim();
    if (format === null) throw new DecodeError(describeNonImage(buf));
    throw new DecodeError(`damaged or incomplete ${format} file`, message);
  }
}

/**
 * Reads and decodes one image file; the single decoding path shared by training, evaluation and
 * prediction.
 * @returns RGB uint8 `[prep.storeSize, prep.storeSize, 3]`, row-major.
 * @throws DecodeError (unreadable, empty, not an image, corrupt); never a UserError.
 */
export async function decodeImageFile(path: string, prep: Pick<Preprocessing, 'storeSize' | 'fit'>): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const { words, code } = errnoInWords(err);
    throw code === 'EISDIR' ? new DecodeError('is a folder, not a file') : new DecodeError(`cannot read the file (${words})`, code);
  }
  return decodeImageBuffer(buf, prep);
}
