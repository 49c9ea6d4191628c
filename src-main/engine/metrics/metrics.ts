/**
 * Classification metrics from logits, in plain JavaScript: shared by the validation pass of
 * training and by `evaluate`. Logits arrive batch by batch; nothing else is kept per sample
 * except the misclassified ids.
 */
import type { ClassMetrics } from '../types';
import { smoothedCrossEntropyOf } from './loss';

/** Softmax of one row, in float64. */
export function softmaxRow(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, logits[j]);
  const exps = Array.from({ length: logits.length }, (_, j) => Math.exp(logits[j] - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Class indices sorted by descending score (ties keep the lower index first), the first `k`. */
export function topKIndices(scores: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: scores.length }, (_, j) => j);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, Math.min(k, scores.length));
}

/**
 * Precision, recall, F1 and support per class from `confusion[true][predicted]`. A class never
 * predicted has precision 0, one never present has recall 0 (and support 0), as scikit-learn's
 * `zero_division=0`.
 */
export function perClassMetrics(confusion: number[][]): ClassMetrics[] {
  const c = confusion.length;
  return confusion.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < c; t++) predicted += confusion[t][k];
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
}

/** One evaluated sample: its true class, the predicted one and that class's probability. */
export interface EvaluatedSample {
  id: string;
  trueLabel: number;
  predicted: number;
  probability: number;
}

/**
 * Running loss / top-1 / top-5 / confusion over batches of logits.
 * `smoothing` selects the loss: 0 for plain cross-entropy (evaluation), the training value for the
 * validation pass during training so train and validation curves measure the same quantity.
 */
export class ClassificationAccumulator {
  count = 0;
  lossSum = 0;
  top1 = 0;
  top5 = 0;
  readonly confusion: number[][];
  /** Every sample, when kept: any confusion-matrix cell, the diagonal too, can show its images. */
  readonly samples: EvaluatedSample[] = [];

  constructor(
    readonly numClasses: number,
    private readonly smoothing = 0,
    private readonly keepSamples = false,
  ) {
    this.confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  }

  /**
   * @param logits row-major `[labels.length, numClasses]`
   * @param labels true class per row
   * @param ids sample ids per row (needed only when samples are kept)
   */
  add(logits: Float32Array, labels: ArrayLike<number>, ids?: readonly string[]): void {
    const c = this.numClasses;
    for (let i = 0; i < labels.length; i++) {
      const row = logits.subarray(i * c, (i + 1) * c);
      const label = labels[i];
      const top = topKIndices(row, 5);
      const predicted = top[0];
      this.count += 1;
      this.lossSum += smoothedCrossEntropyOf(row, label, this.smoothing);
      if (predicted === label) this.top1 += 1;
      if (top.includes(label)) this.top5 += 1;
      this.confusion[label][predicted] += 1;
      if (this.keepSamples) {
        this.samples.push({
          id: ids?.[i] ?? String(this.count - 1),
          trueLabel: label,
          predicted,
          probability: softmaxRow(row)[predicted],
        });
      }
    }
  }

  get misclassified(): EvaluatedSample[] {
    return this.samples.filter((s) => s.predicted !== s.trueLabel);
  }

  get loss(): number {
    return this.count > 0 ? this.lossSum / this.count : 0;
  }

  get accuracy(): number {
    return this.count > 0 ? this.top1 / this.count : 0;
  }

  get top5Accuracy(): number {
    return this.count > 0 ? this.top5 / this.count : 0;
  }
}
