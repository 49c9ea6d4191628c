import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../../../src-main/engine/train/schedule';

describe('learningRateAt', () => {
  const opts = { lr: 0.5, epochs: 10, warmupEpochs: 2, stepsPerEpoch: 5 };

  it('warms up linearly over warmupEpochs * stepsPerEpoch steps', () => {
    const warm = Array.from({ length: 10 }, (_, s) => learningRateAt(s, opts));
    expect(warm.map((v) => +v.toFixed(10))).toEqual([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]);
  });

  it('then follows a cosine from the peak towards 0', () => {
    // 40 decay steps after 10 warm-up steps.
    expect(learningRateAt(10, opts)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(30, opts)).toBeCloseTo(0.25, 12);
    expect(learningRateAt(20, opts)).toBeCloseTo(0.25 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRateAt(49, opts)).toBeCloseTo(0.25 * (1 + Math.cos((Math.PI * 39) / 40)), 12);
    expect(learningRateAt(50, opts)).toBeCloseTo(0, 12);
    const decay = Array.from({ length: 40 }, (_, i) => learningRateAt(10 + i, opts));
    for (let i = 1; i < decay.length; i++) expect(decay[i]).toBeLessThan(decay[i - 1]);
  });

  it('without warm-up starts at the peak', () => {
    expect(learningRateAt(0, { ...opts, warmupEpochs: 0 })).toBeCloseTo(0.5, 12);
    expect(learningRateAt(25, { ...opts, warmupEpochs: 0 })).toBeCloseTo(0.25, 12);
  });
});
