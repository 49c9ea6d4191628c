import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CIFAR_MEAN, CIFAR_STD, defaultPreprocessing, toModelInput } from '../../../src-main/engine/data/preprocess';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('defaultPreprocessing', () => {
  it('stores CIFAR at 32 and folders at the input size, with the CIFAR mean/std', () => {
    expect(defaultPreprocessing({ format: 'cifar10-binary', inputSize: 224 })).toEqual({
      storeSize: 32,
      inputSize: 224,
      fit: 'cover',
      mean: [0.4914, 0.4822, 0.4465],
      std: [0.2023, 0.1994, 0.201],
    });
    expect(defaultPreprocessing({ format: 'image-folder', inputSize: 64 }).storeSize).toBe(64);
    expect(() => defaultPreprocessing({ format: 'image-folder', inputSize: 0 })).toThrow(/positive integer/);
  });
});

describe('toModelInput', () => {
  it('normalises each channel with (x / 255 - mean) / std', () => {
    const prep = defaultPreprocessing({ format: 'cifar10-binary', inputSize: 2 });
    const values = [0, 128, 255, 10, 20, 30, 200, 100, 50, 1, 2, 3];
    const pixels = tf.tensor4d(values, [1, 2, 2, 3], 'int32');
    const before = tf.memory().numTensors;
    const input = toModelInput(pixels, prep);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(input.dtype).toBe('float32');
    expect(input.shape).toEqual([1, 2, 2, 3]);
    const got = input.dataSync();
    values.forEach((v, i) => expect(got[i]).toBeCloseTo((v / 255 - CIFAR_MEAN[i % 3]) / CIFAR_STD[i % 3], 5));
    tf.dispose([pixels, input]);
  });

  it('resizes bilinearly to the input size when the stored size differs, without leaking', () => {
    const prep = defaultPreprocessing({ format: 'cifar10-binary', inputSize: 8 });
    // A constant image stays constant after any resize; a left-to-right ramp stays monotonic.
    const ramp = tf.tidy(() => tf.range(0, 4).mul(60).reshape([1, 1, 4, 1]).tile([2, 4, 1, 3]) as tf.Tensor4D);
    const before = tf.memory().numTensors;
    const input = toModelInput(ramp, prep);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(input.shape).toEqual([2, 8, 8, 3]);
    const row = (input.arraySync() as number[][][][])[1][3].map((px) => px[0]);
    for (let x = 1; x < 8; x++) expect(row[x]).toBeGreaterThanOrEqual(row[x - 1]);
    expect(row[0]).toBeCloseTo((0 - CIFAR_MEAN[0]) / CIFAR_STD[0], 4);
    expect(row[7]).toBeCloseTo((180 / 255 - CIFAR_MEAN[0]) / CIFAR_STD[0], 4);
    tf.dispose([ramp, input]);
  });
});
