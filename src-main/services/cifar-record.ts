import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';

const SIDE = 32;
const PLANE = SIDE * SIDE;
/** One label byte, then the red, green and blue planes. */
export const RECORD_BYTES = 1 + 3 * PLANE;
const RECORDS_PER_FILE = 10_000;

/** Where sample `"<split>:<index>"` lives in a CIFAR-10 binary folder. */
export function cifarRecordLocation(folder: string, split: string, index: number): { path: string; recordIndex: number } {
  if (split === 'test') return { path: join(folder, 'test_batch.bin'), recordIndex: index };
  const file = Math.floor(index / RECORDS_PER_FILE) + 1;
  return { path: join(folder, `data_batch_${file}.bin`), recordIndex: index % RECORDS_PER_FILE };
}

/** How a CIFAR-10 record is shown as a path: `data_batch_1.bin#42`. */
export const cifarDisplayPath = (path: string, recordIndex: number) => `${basename(path)}#${recordIndex}`;

/** Reads one record as interleaved RGB `[32, 32, 3]`. */
export async function readCifarPixels(path: string, recordIndex: number): Promise<Buffer> {
  const record = Buffer.alloc(RECORD_BYTES);
  const file = await open(path, 'r');
  try {
    const { bytesRead } = await file.read(record, 0, RECORD_BYTES, recordIndex * RECORD_BYTES);
    if (bytesRead !== RECORD_BYTES) throw new Error(`${path} has no record ${recordIndex}`);
  } finally {
    await file.close();
  }
  const rgb = Buffer.alloc(3 * PLANE);
  for (let p = 0; p < PLANE; p++) {
    rgb[3 * p] = record[1 + p];
    rgb[3 * p + 1] = record[1 + PLANE + p];
    rgb[3 * p + 2] = record[1 + 2 * PLANE + p];
  }
  return rgb;
}

/** A CIFAR-10 record as PNG, scaled up with nearest-neighbour so its pixels stay crisp. */
export async function cifarPng(path: string, recordIndex: number, size = SIDE): Promise<Buffer> {
  const image = sharp(await readCifarPixels(path, recordIndex), { raw: { width: SIDE, height: SIDE, channels: 3 } });
  if (size !== SIDE) image.resize(size, size, { kernel: 'nearest' });
  return image.png().toBuffer();
}
