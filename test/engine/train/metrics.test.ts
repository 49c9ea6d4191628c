import { describe, expect, it } from 'vitest';
import { ClassificationAccumulator, perClassMetrics, softmaxRow, topKIndices } from '../../../src-main/engine/metrics/metrics';

describe('metrics', () => {
  it('per-class precision, recall and F1 from a confusion matrix (rows = true class)', () => {
    const m = perClassMetrics([
      [3, 1, 0],
      [2, 4, 0],
      [0, 0, 0],
    ]);
    expect(m[0].precision).toBeCloseTo(3 / 5, 12);
    expect(m[0].recall).toBeCloseTo(3 / 4, 12);
    expect(m[0].f1).toBeCloseTo((2 * 0.6 * 0.75) / 1.35, 12);
    expect(m[1]).toMatchObject({ precision: 0.8, support: 6 });
    expect(m[1].recall).toBeCloseTo(4 / 6, 12);
    expect(m[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('accumulates loss, top-1, top-5, every sample and the misclassified ones', () => {
    const acc = new ClassificationAccumulator(6, 0, true);
    const logits = Float32Array.from([
      5,
      0,
      0,
      0,
      0,
      0, // class 0, right
      0,
      1,
      2,
      3,
      4,
      5, // true 0: ranked last, outside the top 5
      0,
      0,
      3,
      0,
      0,
      0, // true 1: wrong (2) but within the top 5
    ]);
    acc.add(logits, [0, 0, 1], ['a', 'b', 'c']);
    expect(acc.count).toBe(3);
    expect(acc.accuracy).toBeCloseTo(1 / 3, 12);
    expect(acc.top5Accuracy).toBeCloseTo(2 / 3, 12);
    const ce = (row: number[], y: number) => Math.log(row.reduce((a, x) => a + Math.exp(x), 0)) - row[y];
    expect(acc.loss).toBeCloseTo((ce([5, 0, 0, 0, 0, 0], 0) + ce([0, 1, 2, 3, 4, 5], 0) + ce([0, 0, 3, 0, 0, 0], 1)) / 3, 10);
    expect(acc.confusion[0]).toEqual([1, 0, 0, 0, 0, 1]);
    expect(acc.misclassified.map((m) => [m.id, m.trueLabel, m.predicted])).toEqual([
      ['b', 0, 5],
      ['c', 1, 2],
    ]);
    expect(acc.misclassified[1].probability).toBeCloseTo(Math.exp(3) / (Math.exp(3) + 5), 6);
    expect(acc.samples.map((m) => [m.id, m.trueLabel, m.predicted])).toEqual([
      ['a', 0, 0],
      ['b', 0, 5],
      ['c', 1, 2],
    ]);
  });

  it('softmax and top-k', () => {
    expect(softmaxRow([0, Math.log(3)])).toEqual([expect.closeTo(0.25, 12), expect.closeTo(0.75, 12)]);
    expect(topKIndices([0.1, 0.5, 0.5, 0.2], 3)).toEqual([1, 2, 3]);
  });
});
