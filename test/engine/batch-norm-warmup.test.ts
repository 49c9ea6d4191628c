import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend';
import { BatchNorm2d } from '../../src-main/engine/model/batch-norm';

describe('BatchNorm2d moving statistics when the trainer counts updates', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  function movingMean(layer: BatchNorm2d): number[] {
    return Array.from(layer.getWeights()[2].dataSync());
  }

  it('are the plain mean of the batch statistics until momentum takes over', () => {
    const layer = new BatchNorm2d({ momentum: 0.9 });
    layer.apply(tf.zeros([1, 2, 2, 2]));
    layer.movingAverageUpdates = 0;
    const batches = [3, 5, 10].map((v) => tf.fill([2, 2, 2, 2], v));
    layer.apply(batches[0], { training: true });
    expect(movingMean(layer)).toEqual([3, 3]);
    layer.apply(batches[1], { training: true });
    expect(movingMean(layer)[0]).toBeCloseTo(4, 5);
    layer.apply(batches[2], { training: true });
    expect(movingMean(layer)[0]).toBeCloseTo(6, 5);
    expect(layer.movingAverageUpdates).toBe(3);

    layer.movingAverageUpdates = 100;
    layer.apply(batches[0], { training: true });
    expect(movingMean(layer)[0]).toBeCloseTo(0.9 * 6 + 0.1 * 3, 5);
    tf.dispose(batches);
  });

  it('use the plain momentum when nobody counts', () => {
    const layer = new BatchNorm2d({ momentum: 0.9 });
    layer.apply(tf.fill([2, 2, 2, 2], 3), { training: true });
    expect(movingMean(layer)[0]).toBeCloseTo(0.3, 5);
  });
});
