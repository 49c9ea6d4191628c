import * as tf from '@tensorflow/tfjs';
import type { DatasetFormat, Preprocessing } from '../types';

export { decodeImageFile, decodeImageBuffer } from './decode-image';
export { DecodeError } from './decode-error';

/** Per-channel mean and standard deviation of CIFAR-10 training pixels in [0, 1] (the tutorial's values). */
export const CIFAR_MEAN: [number, number, number] = [0.4914, 0.4822, 0.4465];
export const CIFAR_STD: [number, number, number] = [0.2023, 0.1994, 0.201];

/** Stored pixel side of the CIFAR-10 binary format. */
export const CIFAR_SIZE = 32;

/**
 * The preprocessing a new training run uses. CIFAR-10 is stored at its native 32x32 and
 * upsampled on the tensor side when the model wants more; image folders are decoded straight to
 * the model's input side, centre-cropped ('cover') so photos keep their aspect ratio.
 */
export function defaultPreprocessing(options: { format: DatasetFormat; inputSize: number }): Preprocessing {
  const { format, inputSize } = options;
  if (!Number.isInteger(inputSize) || inputSize < 1) throw new Error(`inputSize must be a positive integer, got ${inputSize}`);
  return {
    storeSize: format === 'cifar10-binary' ? CIFAR_SIZE : inputSize,
    inputSize,
    fit: 'cover',
    mean: [...CIFAR_MEAN],
    std: [...CIFAR_STD],
  };
}

/**
 * Turns stored pixels into normalised model input: float32, bilinear resize to
 * `prep.inputSize` when the stored side differs, scale to [0, 1], then `(x - mean) / std` per
 * channel. Does not dispose `pixels`; leaves no other tensors behind.
 * @param pixels uint8-valued `[n, s, s, 3]` (any dtype).
 * @returns float32 `[n, inputSize, inputSize, 3]`.
 */
export function toModelInput(pixels: tf.Tensor4D, prep: Preprocessing): tf.Tensor4D {
  return tf.tidy(() => {
    let x: tf.Tensor4D = tf.cast(pixels, 'float32');
    const [, height, width] = pixels.shape;
    if (height !== prep.inputSize || width !== prep.inputSize) {
      x = tf.image.resizeBilinear(x, [prep.inputSize, prep.inputSize], false, true);
    }
    // (x / 255 - mean) / std folded into one multiply and one subtract.
    const scale = tf.tensor1d(prep.std.map((s) => 1 / (255 * s)));
    const shift = tf.tensor1d(prep.mean.map((m, c) => m / prep.std[c]));
    return x.mul(scale).sub(shift) as tf.Tensor4D;
  });
}
