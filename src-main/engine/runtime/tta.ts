/**
 * Test-time augmentation: the one home for running a batch also mirrored and merging the two
 * predictions, for evaluation and prediction alike, on either runtime.
 */
import { UserError } from '../errors';
import type { TestTimeAugmentation } from '../types';
import type { LogitsRunner } from './logits-runner';

export type { TestTimeAugmentation };
export const TEST_TIME_AUGMENTATIONS: readonly TestTimeAugmentation[] = ['none', 'flip'];

/** The option checked (default 'none'). @throws UserError naming the allowed values */
export function requestedTta(option?: string): TestTimeAugmentation {
  const value = option ?? 'none';
  if (!(TEST_TIME_AUGMENTATIONS as readonly string[]).includes(value)) {
    throw new UserError(`tta must be one of ${TEST_TIME_AUGMENTATIONS.join(', ')}, got "${value}"`, 'bad-option');
  }
  return value as TestTimeAugmentation;
}

/**
 * The images mirrored left-right (the width axis of NHWC), as stored; the runner's preprocessing
 * follows, so both runtimes see the same mirrored input.
 * @param pixels RGB uint8 `[n, size, size, 3]`
 */
export function mirrorPixels(pixels: Uint8Array, n: number, size: number): Uint8Array {
  const out = new Uint8Array(n * size * size * 3);
  for (let row = 0; row < n * size; row++) {
    const base = row * size * 3;
    for (let x = 0; x < size; x++) {
      const from = base + x * 3;
      const to = base + (size - 1 - x) * 3;
      out[to] = pixels[from];
      out[to + 1] = pixels[from + 1];
      out[to + 2] = pixels[from + 2];
    }
  }
  return out;
}

/** Log-softmax of one row, written into `out` at `offset`. */
function logSoftmaxRow(logits: Float32Array, offset: number, c: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < c; j++) max = Math.max(max, logits[offset + j]);
  let sum = 0;
  for (let j = 0; j < c; j++) sum += Math.exp(logits[offset + j] - max);
  const logSum = max + Math.log(sum);
  for (let j = 0; j < c; j++) out[j] = logits[offset + j] - logSum;
}

/**
 * `log((softmax(a) + softmax(b)) / 2)` per row of two `[n, c]` logits: scores whose softmax is
 * the mean of the two probabilities, so callers that take a softmax (prediction, the evaluation's
 * accumulator, its cross-entropy) need no change. Computed in log space, so it stays finite where
 * a probability underflows to 0.
 */
export function meanProbabilityLogits(a: Float32Array, b: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  const la = new Float64Array(c);
  const lb = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    logSoftmaxRow(a, i * c, c, la);
    logSoftmaxRow(b, i * c, c, lb);
    for (let j = 0; j < c; j++) {
      const hi = Math.max(la[j], lb[j]);
      out[i * c + j] = hi + Math.log((1 + Math.exp(-Math.abs(la[j] - lb[j]))) / 2);
    }
  }
  return out;
}

/**
 * The runner with `tta` applied to its logits. 'flip' runs each batch together with its mirror
 * (one call of 2n images: inference mode, so the images do not affect each other) and averages
 * the two softmax probabilities rather than the logits: the mean of probabilities is the
 * two-view ensemble's predictive distribution, which the reported confidences and the
 * cross-entropy loss describe; averaging logits would give a sharper, geometric-mean confidence.
 * The returned logits are `meanProbabilityLogits`, whose softmax is that mean.
 */
export function withTta(runner: LogitsRunner, tta: TestTimeAugmentation): LogitsRunner {
  if (tta === 'none') return runner;
  const size = runner.manifest.preprocessing.storeSize;
  const c = runner.manifest.classes.length;
  const imageBytes = size * size * 3;
  return {
    ...runner,
    async logits(pixels, n) {
      const both = new Uint8Array(2 * n * imageBytes);
      both.set(pixels.subarray(0, n * imageBytes));
      both.set(mirrorPixels(pixels, n, size), n * imageBytes);
      const logits = await runner.logits(both, 2 * n);
      return meanProbabilityLogits(logits.subarray(0, n * c), logits.subarray(n * c, 2 * n * c), n, c);
    },
  };
}
