import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import { activationElementsPerImage, chooseMicroBatchSize, microBatchRanges, trainingBytesPerImage } from '../../../src-main/engine/step/micro-batch';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('micro-batches', () => {
  it('estimate that 2.0x groups 3 with the cifar stem does not fit 32 images on wasm', () => {
    const model = buildShuffleNetV1({ scale: 2, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 32 });
    expect(activationElementsPerImage(model)).toBeGreaterThan(6e6);
    // About 115 MB per image, as measured on wasm.
    expect(trainingBytesPerImage(model) / 1e6).toBeGreaterThan(100);
    expect(trainingBytesPerImage(model) / 1e6).toBeLessThan(140);
    const wasm = chooseMicroBatchSize({ backend: 'wasm', batchSize: 128, requested: 'auto', model });
    expect(wasm).toBeLessThan(32);
    expect(wasm).toBeGreaterThanOrEqual(8);
    // Evened out: the 128 images split into parts that differ by at most one image.
    const sizes = microBatchRanges(128, wasm).map((r) => r.end - r.start);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(wasm);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(chooseMicroBatchSize({ backend: 'tensorflow', batchSize: 128, requested: 'auto', model })).toBe(128);
    expect(chooseMicroBatchSize({ backend: 'wasm', batchSize: 128, requested: 16, model })).toBe(16);
    expect(chooseMicroBatchSize({ backend: 'wasm', batchSize: 8, requested: 16, model })).toBe(8);
    model.dispose();
  });

  it('small models take the whole batch', () => {
    const model = buildShuffleNetV1({ scale: 0.25, groups: 1, numClasses: 10, stem: 'cifar', inputSize: 32 });
    expect(chooseMicroBatchSize({ backend: 'wasm', batchSize: 128, requested: 'auto', model })).toBe(128);
    model.dispose();
  });

  it('on ONNX Runtime, split a batch into a multiple of the replica count', () => {
    const saved = process.env.SHUFFLENET_TRAIN_REPLICAS;
    process.env.SHUFFLENET_TRAIN_REPLICAS = '3';
    const model = buildShuffleNetV1({ scale: 0.25, groups: 1, numClasses: 10, stem: 'cifar', inputSize: 32 });
    try {
      // 100 images fit 32 at a time: 4 micro-batches, rounded up to 6 so each of 3 replicas runs 2.
      const size = chooseMicroBatchSize({ backend: 'wasm', batchSize: 100, requested: 'auto', model, onnx: true });
      expect(size).toBe(17);
      expect(microBatchRanges(100, size)).toHaveLength(6);
      // A batch that fits one micro-batch stays whole unless every replica gets 16 images.
      expect(chooseMicroBatchSize({ backend: 'wasm', batchSize: 20, requested: 'auto', model, onnx: true })).toBe(20);
      expect(chooseMicroBatchSize({ backend: 'wasm', batchSize: 32, requested: 'auto', model, onnx: true })).toBe(32);
      process.env.SHUFFLENET_TRAIN_REPLICAS = '2';
      expect(chooseMicroBatchSize({ backend: 'wasm', batchSize: 32, requested: 'auto', model, onnx: true })).toBe(16);
      expect(chooseMicroBatchSize({ backend: 'wasm', batchSize: 31, requested: 'auto', model, onnx: true })).toBe(31);
    } finally {
      if (saved === undefined) delete process.env.SHUFFLENET_TRAIN_REPLICAS;
      else process.env.SHUFFLENET_TRAIN_REPLICAS = saved;
      model.dispose();
    }
  });

  it('ranges cover the batch in order', () => {
    expect(microBatchRanges(10, 4)).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 7 },
      { start: 7, end: 10 },
    ]);
    expect(microBatchRanges(5, 8)).toEqual([{ start: 0, end: 5 }]);
  });
});
