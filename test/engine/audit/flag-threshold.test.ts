import { describe, expect, it } from 'vitest';
import { calibratedFlagThreshold, FALSE_FLAG_SHARE, fitTemperature, MIN_FALSE_FLAGS } from '../../../src-main/engine/audit/flag-threshold';

const CLASSES = 10;
const N = 2000;
/** The constant the audit flagged from before its threshold was calibrated. */
const OLD_THRESHOLD = 0.98;

/** Park-Miller, as the benchmarks use: the same sets on every machine. */
function random(seed: number): () => number {
  let state = (seed * 7919 + 1) % 2147483647 || 1;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

const softmax = (z: number[], t: number) => {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp((v - max) / t));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

/**
 * A clean set whose labels follow softmax(z) exactly, presented as a head would give it: softmax(z /
 * shown). `shown` below 1 is an overconfident head, above 1 an underconfident one. `wrong` of the
 * labels are then moved to another class, uniformly, as the benchmark moves files.
 */
function heads(shown: number, wrong = 0, seed = 1) {
  const rand = random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const probabilities = new Float64Array(N * CLASSES);
  const labels = new Int32Array(N);
  const moved = new Set<number>();
  for (let i = 0; i < N; i++) {
    const z = Array.from({ length: CLASSES }, () => 1.5 * gauss());
    z[Math.floor(rand() * CLASSES)] += 3;
    const truth = softmax(z, 1);
    let u = rand();
    let label = 0;
    while (label < CLASSES - 1 && (u -= truth[label]) > 0) label++;
    if (rand() < wrong) {
      label = (label + 1 + Math.floor(rand() * (CLASSES - 1))) % CLASSES;
      moved.add(i);
    }
    labels[i] = label;
    probabilities.set(softmax(z, shown), i * CLASSES);
  }
  return { probabilities, labels, moved };
}

/** Rows whose label is not the top class and whose score reaches `threshold`: what the audit would flag. */
function flagged(set: ReturnType<typeof heads>, threshold: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < N; i++) {
    const row = set.probabilities.subarray(i * CLASSES, (i + 1) * CLASSES);
    const top = row.indexOf(Math.max(...row));
    if (top !== set.labels[i] && 1 - row[set.labels[i]] >= threshold) rows.push(i);
  }
  return rows;
}

describe('fitTemperature', () => {
  it("recovers the temperature that undoes a head's over- or underconfidence", () => {
    expect(fitTemperature(heads(0.5).probabilities, heads(0.5).labels, CLASSES)).toBeCloseTo(2, 0);
    expect(fitTemperature(heads(1).probabilities, heads(1).labels, CLASSES)).toBeCloseTo(1, 0);
    expect(fitTemperature(heads(2).probabilities, heads(2).labels, CLASSES)).toBeCloseTo(0.5, 1);
  });

  it('is moved less by 5% wrong labels than a plain likelihood fit is', () => {
    const clean = heads(1);
    const noisy = heads(1, 0.05);
    const robust = fitTemperature(noisy.probabilities, noisy.labels, CLASSES) / fitTemperature(clean.probabilities, clean.labels, CLASSES);
    const plain = fitTemperature(noisy.probabilities, noisy.labels, CLASSES, 0) / fitTemperature(clean.probabilities, clean.labels, CLASSES, 0);
    expect(Math.abs(robust - 1)).toBeLessThan(Math.abs(plain - 1));
    expect(Math.abs(robust - 1)).toBeLessThan(0.1);
  });
});

describe('calibratedFlagThreshold', () => {
  const budget = FALSE_FLAG_SHARE * N;

  it('keeps an overconfident head from flagging many correct labels, where the old constant flagged dozens', () => {
    const set = heads(0.5);
    const { threshold, expectedFalseFlags } = calibratedFlagThreshold(set.probabilities, set.labels, CLASSES);
    expect(flagged(set, OLD_THRESHOLD).length).toBeGreaterThan(10 * budget);
    expect(threshold).toBeGreaterThan(OLD_THRESHOLD);
    expect(expectedFalseFlags).toBeLessThanOrEqual(budget);
    expect(flagged(set, threshold).length).toBeLessThanOrEqual(3 * budget);
  });

  it('lowers the cut for an underconfident head, whose correct labels never score near the old constant', () => {
    const under = heads(2);
    const calibrated = heads(1);
    const { threshold } = calibratedFlagThreshold(under.probabilities, under.labels, CLASSES);
    expect(threshold).toBeLessThan(OLD_THRESHOLD);
    expect(threshold).toBeLessThan(calibratedFlagThreshold(calibrated.probabilities, calibrated.labels, CLASSES).threshold);
    expect(flagged(under, threshold).length).toBeLessThanOrEqual(3 * budget);
  });

  it('in a set with 5% of its labels moved, flags moved labels and few correct ones', () => {
    const set = heads(1, 0.05);
    const { threshold } = calibratedFlagThreshold(set.probabilities, set.labels, CLASSES);
    const rows = flagged(set, threshold);
    const moved = rows.filter((i) => set.moved.has(i)).length;
    expect(moved).toBeGreaterThan(0.15 * set.moved.size);
    expect(rows.length - moved).toBeLessThanOrEqual(3 * budget);
  });

  it('applies the p(label) cut it reports, at 2 significant digits, and counts only what it flags', () => {
    const set = heads(1);
    const { threshold, labelProbabilityCut, expectedFalseFlags } = calibratedFlagThreshold(set.probabilities, set.labels, CLASSES);
    expect(Number(labelProbabilityCut.toPrecision(2))).toBe(labelProbabilityCut);
    expect(threshold).toBe(Number((1 - labelProbabilityCut).toFixed(12)));
    expect(expectedFalseFlags).toBeGreaterThan(0);
    expect(expectedFalseFlags).toBeLessThanOrEqual(budget);
  });

  it('gives a small folder a budget of half an image, not 1 in 500 of it', () => {
    const set = heads(1);
    const small = { probabilities: set.probabilities.slice(0, 40 * CLASSES), labels: set.labels.slice(0, 40) };
    const { expectedFalseFlags } = calibratedFlagThreshold(small.probabilities, small.labels, CLASSES);
    expect(expectedFalseFlags).toBeGreaterThan(FALSE_FLAG_SHARE * 40);
    expect(expectedFalseFlags).toBeLessThanOrEqual(MIN_FALSE_FLAGS);
  });
});
