import sharp from 'sharp';
import { DecodeError } from '../engine/api/light';
import { decodeBmpOffThread } from './bmp-off-thread';
import { MediaError, type ImageFile } from './media-file';

/**
 * Thumbnails and conversions are made only for images up to 100 megapixels: a 16000x16000 PNG
 * (256 MP, under sharp's own limit) costs 4 s of CPU per thumbnail. The engine's BMP decoder has
 * the same limit.
 */
export const MAX_DECODE_PIXELS = 100_000_000;

/** Formats every browser shows as they are; TIFF and BMP are converted to PNG. */
export const BROWSER_TYPES: Partial<Record<ImageFile['format'], string>> = {
  JPEG: 'image/jpeg',
  PNG: 'image/png',
  GIF: 'image/gif',
  WebP: 'image/webp',
};

/**
 * sharp input for an opened image. BMP goes through the engine's own decoder (libvips has no BMP
 * loader) on a worker thread, so every format the engine trains on can also be shown.
 */
async function load(image: ImageFile): Promise<sharp.Sharp> {
  if (image.format === 'BMP') {
    const bmp = await decodeBmpOffThread(image.realPath, image.size);
    return sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 3 } });
  }
  return sharp(image.realPath, { failOn: 'error', limitInputPixels: MAX_DECODE_PIXELS, sequentialRead: true }).rotate();
}

async function decodeFailure(image: ImageFile, path: string, error: unknown): Promise<MediaError> {
  const message = error instanceof DecodeError ? error.reason : error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (/pixel limit/i.test(message)) {
    const { width = 0, height = 0 } = await sharp(image.realPath, { limitInputPixels: false })
      .metadata()
      .catch(() => ({ width: 0, height: 0 }));
    return new MediaError(415, `${path} is ${width}x${height} pixels; pictures over ${MAX_DECODE_PIXELS / 1e6} megapixels are not previewed`);
  }
  return new MediaError(415, `Cannot decode ${path}: ${message}`);
}

async function render(image: ImageFile, path: string, finish: (input: sharp.Sharp) => sharp.Sharp): Promise<Buffer> {
  try {
    return await finish(await load(image)).toBuffer();
  } catch (error) {
    throw await decodeFailure(image, path, error);
  }
}

/** A `size` x `size` JPEG of the image's centre, transparency on black. */
export function thumbnailJpeg(image: ImageFile, path: string, size: number): Promise<Buffer> {
  return render(image, path, (input) => input.resize(size, size, { fit: 'cover' }).flatten({ background: '#000' }).jpeg({ quality: 80 }));
}

/** The whole image as PNG, for formats a browser cannot show (TIFF, BMP). */
export function fullPng(image: ImageFile, path: string): Promise<Buffer> {
  return render(image, path, (input) => input.png());
}
