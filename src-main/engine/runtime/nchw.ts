/** Stored pixels to the NCHW float input of an exported ONNX model, with the checkpoint's preprocessing. */
import * as tf from '@tensorflow/tfjs';
import { toModelInput } from '../data/preprocess';
import type { Preprocessing } from '../types';

/**
 * The same numbers as `toModelInput` (x / 255, then (x - mean) / std per channel), laid out NCHW.
 * Without a resize this is one pass in plain JavaScript; when the stored side differs from the
 * input side, tfjs does the bilinear resize so both runtimes see identical pixels.
 * @param pixels RGB uint8 `[n, storeSize, storeSize, 3]`
 * @returns float32 `[n, 3, inputSize, inputSize]`
 */
export async function pixelsToNchw(pixels: Uint8Array, n: number, prep: Preprocessing): Promise<Float32Array> {
  const s = prep.storeSize;
  if (s !== prep.inputSize) {
    const nchw = tf.tidy(() => toModelInput(tf.tensor4d(Float32Array.from(pixels), [n, s, s, 3], 'float32'), prep).transpose([0, 3, 1, 2]));
    try {
      return (await nchw.data()) as Float32Array;
    } finally {
      nchw.dispose();
    }
  }
  const plane = s * s;
  const out = new Float32Array(n * 3 * plane);
  for (let c = 0; c < 3; c++) {
    const scale = Math.fround(1 / (255 * prep.std[c]));
    const shift = Math.fround(prep.mean[c] / prep.std[c]);
    for (let b = 0; b < n; b++) {
      const src = b * plane * 3 + c;
      const dst = (b * 3 + c) * plane;
      for (let p = 0; p < plane; p++) out[dst + p] = pixels[src + p * 3] * scale - shift;
    }
  }
  return out;
}
