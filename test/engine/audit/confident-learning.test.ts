import { describe, expect, it } from 'vitest';
import { calibratedConfidentJoint, classThresholds, findLabelIssues } from '../../../src-main/engine/audit/confident-learning';
import { stratifiedFolds } from '../../../src-main/engine/audit/folds';

/** Rows of probabilities, flattened, with their labels. */
function table(rows: [label: number, p: number[]][]) {
  return { probabilities: Float64Array.from(rows.flatMap(([, p]) => p)), labels: Int32Array.from(rows.map(([label]) => label)) };
}

describe('confident learning', () => {
  it('thresholds each class at the mean probability its own images get', () => {
    const { probabilities, labels } = table([
      [0, [0.9, 0.1, 0]],
      [0, [0.7, 0.3, 0]],
      [1, [0.4, 0.6, 0]],
    ]);
    const t = classThresholds(probabilities, labels, 3);
    expect(t[0]).toBeCloseTo(0.8);
    expect(t[1]).toBeCloseTo(0.6);
    expect(t[2]).toBeNaN();
  });

  it('lists as many images per pair of classes as the confident joint estimates, largest margin first, ranked by self-confidence', () => {
    const { probabilities, labels } = table([
      [0, [0.9, 0.05, 0.05]],
      [0, [0.8, 0.1, 0.1]],
      [0, [0.1, 0.85, 0.05]], // row 2: filed under 0, clearly a 1
      [1, [0.05, 0.9, 0.05]],
      [1, [0.1, 0.8, 0.1]],
      [1, [0.45, 0.5, 0.05]], // doubted, no class reaches its threshold, and its label is the most probable: not listed
      [2, [0.05, 0.05, 0.9]],
      [2, [0.1, 0.1, 0.8]],
      [2, [0.5, 0.1, 0.4]], // row 8: filed under 2, more probably 0, but the joint counts one 2-that-is-0 and row 9's margin is larger
      [2, [0.65, 0.25, 0.1]], // row 9: p0 0.65 reaches t_0 (0.6): suggested 0
    ]);
    const joint = calibratedConfidentJoint(probabilities, labels, 3).map((row) => [...row].map((v) => Number(v.toFixed(3))));
    expect(joint).toEqual([
      [2, 1, 0],
      [0, 3, 0],
      [1.333, 0, 2.667],
    ]);
    const issues = findLabelIssues(probabilities, labels, 3);
    expect(issues.map((i) => [i.index, i.label, i.suggested])).toEqual([
      [2, 0, 1],
      [9, 2, 0],
    ]);
    expect(issues[0].score).toBeCloseTo(0.9);
    expect(issues[0]).toMatchObject({ labelProbability: 0.1, suggestedProbability: 0.85 });
  });

  it('also lists a plain mistake that falls between the thresholds: below chance on its label, another class first', () => {
    const { probabilities, labels } = table([
      [0, [0.95, 0.03, 0.02]],
      [0, [0.9, 0.05, 0.05]],
      [1, [0.02, 0.95, 0.03]],
      [1, [0.05, 0.9, 0.05]],
      [1, [0.85, 0.1, 0.05]], // row 4: filed under 1, p0 0.85 below t_0 (0.9): the joint's 1-that-is-0 cell is 0
      [2, [0.05, 0.05, 0.9]],
      [2, [0.3, 0.3, 0.4]], // doubted, its label still first: not listed
      [2, [0.45, 0.2, 0.35]], // its label above chance (0.35 > 1/3): left to the joint, which counts none
    ]);
    expect(calibratedConfidentJoint(probabilities, labels, 3)[1][0]).toBe(0);
    const issues = findLabelIssues(probabilities, labels, 3);
    expect(issues.map((i) => [i.index, i.label, i.suggested])).toEqual([[4, 1, 0]]);
    expect(issues[0].score).toBeCloseTo(0.9);
  });
});

describe('stratifiedFolds', () => {
  it('deals every class evenly over the folds, the same way every time', () => {
    const labels = Array.from({ length: 53 }, (_, i) => (i < 40 ? 0 : 1));
    const keys = labels.map((_, i) => `/images/${i}.png`);
    const folds = stratifiedFolds(labels, keys, 5, 0);
    for (const c of [0, 1]) {
      const sizes = [0, 1, 2, 3, 4].map((f) => labels.filter((l, i) => l === c && folds[i] === f).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(stratifiedFolds(labels, keys, 5, 0)).toEqual(folds);
    expect(stratifiedFolds(labels, keys, 5, 1)).not.toEqual(folds);
  });
});
