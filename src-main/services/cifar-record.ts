import { basename } from 'node:path';
import sharp from 'sharp';
import { CIFAR_SIDE, readCifarRecordRgb } from '../engine/api/light';

// The record layout, where a sample lives and reading it as RGB are the engine's (engine/data/cifar10.ts,
// which loads no tfjs): here is only what the app adds, a display path and a PNG.

/** How a CIFAR-10 record is shown as a path: `data_batch_1.bin#42`. */
export const cifarDisplayPath = (path: string, recordIndex: number) => `${basename(path)}#${recordIndex}`;

/** A CIFAR-10 record as PNG, scaled up with nearest-neighbour so its pixels stay crisp. */
export async function cifarPng(path: string, recordIndex: number, size = CIFAR_SIDE): Promise<Buffer> {
  const raw = { width: CIFAR_SIDE, height: CIFAR_SIDE, channels: 3 as const };
  const image = sharp(await readCifarRecordRgb(path, recordIndex), { raw });
  if (size !== CIFAR_SIDE) image.resize(size, size, { kernel: 'nearest' });
  return image.png().toBuffer();
}
