/** The hashing stage: what the audit learns from each file's bytes before any model runs. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeBmp } from '../data/bmp';
import { DecodeError, errnoInWords } from '../data/decode-error';
import { decodeImageBuffer, sniffImageFormat } from '../data/decode-image';
import { eachConcurrently } from './each-concurrently';
import { HASH_SIDE, perceptualHash, type PerceptualHash } from './perceptual-hash';
import { colourThumbnail } from './thumbnail-correlation';

const READ_CONCURRENCY = 4;

export type ImageFacts =
  | { readable: true; sha256: string; hash: PerceptualHash; thumbnail: Float32Array; width: number; height: number }
  | { readable: false; reason: string };

/** Stored width and height (before EXIF rotation, which does not change the shorter side); 0 when unknown. */
async function dimensionsOf(buf: Uint8Array): Promise<{ width: number; height: number }> {
  if (sniffImageFormat(buf) === 'BMP') return decodeBmp(buf);
  const { width = 0, height = 0 } = await sharp(buf).metadata().catch(() => ({ width: 0, height: 0 }));
  return { width, height };
}

async function factsOf(path: string): Promise<ImageFacts> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    return { readable: false, reason: `cannot read the file (${errnoInWords(err).words})` };
  }
  try {
    // The one decoding path (EXIF, BMP, CMYK, alpha), stretched to the hash's square.
    const pixels = await decodeImageBuffer(buf, { storeSize: HASH_SIDE, fit: 'fill' });
    const { width, height } = await dimensionsOf(buf);
    const sha256 = createHash('sha256').update(buf).digest('hex');
    return { readable: true, sha256, hash: perceptualHash(pixels), thumbnail: colourThumbnail(pixels), width, height };
  } catch (err) {
    if (err instanceof DecodeError) return { readable: false, reason: err.reason };
    throw err;
  }
}

/**
 * Reads every file once: SHA-256 of its bytes (exact copies), the perceptual hash and colour
 * thumbnail of its pixels (near copies) and its stored size (images too small for the model). A file that cannot be
 * read or decoded gets the reason instead.
 */
export async function readImageFacts(
  paths: readonly string[],
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<ImageFacts[]> {
  const facts: ImageFacts[] = new Array(paths.length);
  let done = 0;
  options.onProgress?.(0, paths.length);
  await eachConcurrently(
    paths.length,
    READ_CONCURRENCY,
    async (i) => {
      facts[i] = await factsOf(paths[i]);
      options.onProgress?.(++done, paths.length);
    },
    options.signal,
  );
  return facts;
}
