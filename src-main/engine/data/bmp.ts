import { DecodeError } from './decode-error';

/** Decoded BMP: RGB uint8, top row first. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
const MAX_PIXELS = 100_000_000;

function corrupt(detail: string): DecodeError {
  return new DecodeError('damaged or incomplete BMP file', detail);
}

/** What a BMP's file and info headers say, read without touching the pixel data. */
export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  compression: number;
  dataOffset: number;
  headerSize: number;
  /** An OS/2 BITMAPCOREHEADER (12 bytes, 16-bit sizes, 3-byte palette entries). */
  core: boolean;
}

/**
 * The headers of a BMP: its size for callers that need only that (the audit's small-image check),
 * and the layout decodeBmp reads the pixels by.
 * @throws DecodeError when the headers are missing, cut off or name impossible dimensions
 */
export function readBmpHeader(buf: Uint8Array): BmpHeader {
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw corrupt('missing BM header');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const core = headerSize === 12;
  if (!core && headerSize < 40) throw corrupt(`unknown header size ${headerSize}`);
  if (buf.length < 14 + headerSize) throw corrupt('header cut off');

  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getInt16(22, true) : view.getInt32(22, true);
  const bpp = view.getUint16(core ? 24 : 28, true);
  const compression = core ? BI_RGB : view.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0 || width * height > MAX_PIXELS) throw corrupt(`bad dimensions ${width}x${rawHeight}`);
  return { width, height, topDown: rawHeight < 0, bpp, compression, dataOffset, headerSize, core };
}

/**
 * Decodes an uncompressed Windows bitmap (sharp/libvips has no BMP loader): 1, 4 and 8-bit
 * palettes, 16 and 32-bit with default or explicit channel masks, 24-bit; bottom-up or top-down
 * rows. Alpha is ignored because most writers leave that byte at zero. RLE and embedded
 * JPEG/PNG compression are rejected with a DecodeError.
 */
export function decodeBmp(buf: Uint8Array): RgbImage {
  const { width, height, topDown, bpp, compression, dataOffset, headerSize, core } = readBmpHeader(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    const names: Record<number, string> = { 1: 'RLE8', 2: 'RLE4', 4: 'embedded JPEG', 5: 'embedded PNG' };
    throw new DecodeError(`unsupported BMP: ${names[compression] ?? `compression ${compression}`} (only uncompressed bitmaps)`);
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const needed = dataOffset + stride * (height - 1) + Math.ceil((bpp * width) / 8);
  if (buf.length < needed) throw corrupt(`pixel data needs ${needed} bytes, file has ${buf.length}`);

  const out = new Uint8Array(width * height * 3);
  const rowOffset = (y: number) => dataOffset + (topDown ? y : height - 1 - y) * stride;

  if (bpp === 1 || bpp === 4 || bpp === 8) {
    const palette = readPalette(buf, view, 14 + headerSize, core, bpp);
    const mask = (1 << bpp) - 1;
    for (let y = 0; y < height; y++) {
      const row = rowOffset(y);
      for (let x = 0; x < width; x++) {
        const bit = x * bpp;
        const index = (buf[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & mask;
        const p = index < palette.length / 3 ? index * 3 : 0;
        out.set(palette.subarray(p, p + 3), (y * width + x) * 3);
      }
    }
  } else if (bpp === 24) {
    for (let y = 0; y < height; y++) {
      const row = rowOffset(y);
      for (let x = 0; x < width; x++) {
        const s = row + x * 3;
        const d = (y * width + x) * 3;
        out[d] = buf[s + 2];
        out[d + 1] = buf[s + 1];
        out[d + 2] = buf[s];
      }
    }
  } else if (bpp === 16 || bpp === 32) {
    const masks = channelMasks(view, compression, bpp);
    const channels = masks.map(maskShape);
    for (let y = 0; y < height; y++) {
      const row = rowOffset(y);
      for (let x = 0; x < width; x++) {
        const value = bpp === 32 ? view.getUint32(row + x * 4, true) : view.getUint16(row + x * 2, true);
        const d = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const { shift, max } = channels[c];
          out[d + c] = max === 0 ? 0 : Math.round((((value >>> shift) & max) * 255) / max);
        }
      }
    }
  } else {
    throw new DecodeError(`unsupported BMP: ${bpp} bits per pixel`);
  }
  return { width, height, data: out };
}

function readPalette(buf: Uint8Array, view: DataView, start: number, core: boolean, bpp: number): Uint8Array {
  const entryBytes = core ? 3 : 4;
  const declared = core ? 0 : view.getUint32(46, true);
  const count = Math.min(declared || 1 << bpp, 1 << bpp);
  if (buf.length < start + count * entryBytes) throw corrupt('palette cut off');
  const rgb = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    const s = start + i * entryBytes;
    rgb[i * 3] = buf[s + 2];
    rgb[i * 3 + 1] = buf[s + 1];
    rgb[i * 3 + 2] = buf[s];
  }
  return rgb;
}

function channelMasks(view: DataView, compression: number, bpp: number): [number, number, number] {
  if (compression === BI_RGB) return bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  // BITFIELDS masks sit right after a 40-byte header, or inside a V2+ header: same offsets.
  if (view.byteLength < 14 + 40 + 12) throw corrupt('channel masks cut off');
  return [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
}

function maskShape(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}
