import type { DatasetSplit } from '../types';

/**
 * `split` with every image mirrored left to right. The audit averages each image's features with
 * its mirror's (test-time augmentation, as the training's random flips taught the backbone): a
 * steadier feature, which made the cross-validated heads more accurate on CIFAR-10 (docs/results.md).
 */
export function flippedSplit(split: DatasetSplit, storeSize: number): DatasetSplit {
  return {
    ...split,
    async readPixels(indices) {
      const pixels = await split.readPixels(indices);
      const out = new Uint8Array(pixels.length);
      const s = storeSize;
      for (let row = 0; row < indices.length * s; row++) {
        for (let x = 0; x < s; x++) {
          const from = (row * s + (s - 1 - x)) * 3;
          const to = (row * s + x) * 3;
          out[to] = pixels[from];
          out[to + 1] = pixels[from + 1];
          out[to + 2] = pixels[from + 2];
        }
      }
      return out;
    },
  };
}
