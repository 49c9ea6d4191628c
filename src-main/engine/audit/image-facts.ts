/** The hashing stage: what the audit learns from each file's bytes before any model runs. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { readBmpHeader } from '../data/bmp';
import { DecodeError, errnoInWords } from '../data/decode-error';
import { decodeImageBuffer, sniffImageFormat } from '../data/decode-image';
import type { Preprocessing } from '../types';
import { eachConcurrently } from './each-concurrently';
import { HASH_SIDE, perceptualHash, type PerceptualHash } from './perceptual-hash';
import { colourThumbnail } from './thumbnail-correlation';

const READ_CONCURRENCY = 4;
/** The hash and thumbnail look at the whole picture, stretched to their square. */
const HASH_PREP = { storeSize: HASH_SIDE, fit: 'fill' } as const;

export type ImageFacts =
  | {
      readable: true;
      sha256: string;
      hash: PerceptualHash;
      thumbnail: Float32Array;
      width: number;
      height: number;
      /** The image at the model's stored size and fit, where it was asked to be kept. */
      pixels?: Uint8Array;
    }
  | { readable: false; reason: string };

/** Stored width and height (before EXIF rotation, which does not change the shorter side), from the headers alone; 0 when unknown. */
async function dimensionsOf(buf: Uint8Array): Promise<{ width: number; height: number }> {
  if (sniffImageFormat(buf) === 'BMP') return readBmpHeader(buf);
  const { width = 0, height = 0 } = await sharp(buf)
    .metadata()
    .catch(() => ({ width: 0, height: 0 }));
  return { width, height };
}

/**
 * The model's stored pixels are the hash's pixels when both are the same square: a 32x32 store
 * stretches ('fill') as the hash does, or crops ('cover') a square picture, which takes nothing
 * off (test/engine/audit/decode-once.test.ts checks this holds to the bit, format by format).
 */
function storedIsHashed(prep: Pick<Preprocessing, 'storeSize' | 'fit'>, width: number, height: number): boolean {
  return prep.storeSize === HASH_SIDE && (prep.fit === 'fill' || (width > 0 && width === height));
}

async function factsOf(path: string, keepAt: Pick<Preprocessing, 'storeSize' | 'fit'> | null): Promise<ImageFacts> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    return { readable: false, reason: `cannot read the file (${errnoInWords(err).words})` };
  }
  try {
    // The one decoding path (EXIF, BMP, CMYK, alpha), once; a second time only where the model's
    // stored pixels cannot give the hash's stretch of the whole picture.
    const first = await decodeImageBuffer(buf, keepAt ?? HASH_PREP);
    const { width, height } = await dimensionsOf(buf);
    const hashPixels = keepAt === null || storedIsHashed(keepAt, width, height) ? first : await decodeImageBuffer(buf, HASH_PREP);
    const sha256 = createHash('sha256').update(buf).digest('hex');
    const pixels = keepAt === null ? undefined : first;
    return { readable: true, sha256, hash: perceptualHash(hashPixels), thumbnail: colourThumbnail(hashPixels), width, height, pixels };
  } catch (err) {
    if (err instanceof DecodeError) return { readable: false, reason: err.reason };
    throw err;
  }
}

/**
 * Reads every file once: SHA-256 of its bytes (exact copies), the perceptual hash and colour
 * thumbnail of its pixels (near copies) and its stored size (images too small for the model). A
 * file that cannot be read or decoded gets the reason instead. Files `keep` names also keep their
 * pixels at `keep.prep` (the features stage's input), so nothing needs decoding again.
 */
export async function readImageFacts(
  paths: readonly string[],
  options: {
    keep?: { prep: Pick<Preprocessing, 'storeSize' | 'fit'>; index: (i: number) => boolean };
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<ImageFacts[]> {
  const facts: ImageFacts[] = new Array(paths.length);
  const { keep } = options;
  let done = 0;
  options.onProgress?.(0, paths.length);
  await eachConcurrently(
    paths.length,
    READ_CONCURRENCY,
    async (i) => {
      facts[i] = await factsOf(paths[i], keep?.index(i) ? keep.prep : null);
      options.onProgress?.(++done, paths.length);
    },
    options.signal,
  );
  return facts;
}
