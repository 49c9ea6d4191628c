import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { smoothedCrossEntropy, smoothedCrossEntropyOf, smoothedCrossEntropyPerSample } from '../../../src-main/engine/metrics/loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('smoothed cross-entropy', () => {
  const logits = [
    [2, 0, -1],
    [0.5, 0.5, 3],
  ];
  const labels = [0, 1];

  function byHand(row: number[], label: number, eps: number): number {
    const z = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
    const logp = row.map((x) => x - z);
    // target: 1 - eps + eps/3 on the true class, eps/3 elsewhere
    return -logp.reduce((a, lp, j) => a + lp * ((j === label ? 1 - eps : 0) + eps / 3), 0);
  }

  it('matches a hand computation per sample and as a mean', () => {
    const before = tf.memory().numTensors;
    const l = tf.tensor2d(logits);
    const y = tf.tensor1d(labels, 'int32');
    const perT = smoothedCrossEntropyPerSample(l, y, 0.1);
    const per = perT.arraySync();
    expect(per[0]).toBeCloseTo(byHand(logits[0], 0, 0.1), 5);
    expect(per[1]).toBeCloseTo(byHand(logits[1], 1, 0.1), 5);
    const mean = smoothedCrossEntropy(l, y, 0.1);
    expect(mean.arraySync()).toBeCloseTo((per[0] + per[1]) / 2, 5);
    const sumOver4 = smoothedCrossEntropy(l, y, 0.1, 4);
    expect(sumOver4.arraySync()).toBeCloseTo((per[0] + per[1]) / 4, 5);
    tf.dispose([l, y, perT, mean, sumOver4]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('smoothing 0 is plain cross-entropy, and smoothing raises the loss of a confident right answer', () => {
    const plain = smoothedCrossEntropyOf([5, 0, 0], 0, 0);
    expect(plain).toBeCloseTo(-Math.log(Math.exp(5) / (Math.exp(5) + 2)), 10);
    expect(smoothedCrossEntropyOf([5, 0, 0], 0, 0.1)).toBeGreaterThan(plain);
    expect(smoothedCrossEntropyOf(logits[1], 1, 0.1)).toBeCloseTo(byHand(logits[1], 1, 0.1), 10);
  });

  it('its gradient is softmax minus the smoothed target', () => {
    const l = tf.tensor2d([logits[0]]);
    const y = tf.tensor1d([0], 'int32');
    const grad = tf
      .grad((x: tf.Tensor) => smoothedCrossEntropy(x as tf.Tensor2D, y, 0.1))(l)
      .arraySync() as number[][];
    const e = logits[0].map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    const expected = e.map((v, j) => v / s - ((j === 0 ? 0.9 : 0) + 0.1 / 3));
    grad[0].forEach((g, j) => expect(g).toBeCloseTo(expected[j], 5));
    tf.dispose([l, y]);
  });
});
