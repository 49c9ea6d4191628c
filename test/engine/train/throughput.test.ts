import { describe, expect, it } from 'vitest';
import { RecentRate } from '../../../src-main/engine/train/throughput';

describe('RecentRate', () => {
  it('forgets a slow start: after the window, the rate is the steady one, not the mean since the start', () => {
    const rate = new RecentRate(10_000);
    rate.add(0, 0);
    // A first step of 20 s (a cold cache), then 100 images a second.
    let last = rate.add(20_000, 100);
    expect(last).toBeCloseTo(5, 5);
    for (let t = 21_000, seen = 200; t <= 60_000; t += 1000, seen += 100) last = rate.add(t, seen);
    // The mean since the start would still say 4100 images / 60 s = 68 a second.
    expect(last).toBeCloseTo(100, 5);
  });

  it('gives the mean over the whole span while it is shorter than the window', () => {
    const rate = new RecentRate(10_000);
    rate.add(1000, 50);
    rate.add(2000, 150);
    expect(rate.add(3000, 250)).toBeCloseTo(100, 5);
  });
});
