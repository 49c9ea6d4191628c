/**
 * Test-time augmentation: the one home for running a batch also in other views (mirrored,
 * shifted) and merging their predictions, for evaluation and prediction alike, on either runtime.
 */
import { TEST_TIME_AUGMENTATIONS } from '../../contract/test-time-augmentation';
import { UserError } from '../errors';
import type { TestTimeAugmentation } from '../types';
import type { DeviceChoice } from './devices';
import { openLogitsRunner, type InferenceRuntime, type LogitsRunner, type RuntimeInfo } from './logits-runner';

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

/**
 * The images moved `dx` pixels right and `dy` down, the uncovered edge filled by reflection
 * (without repeating the edge pixel, as PyTorch's 'reflect' padding), as stored.
 * @param pixels RGB uint8 `[n, size, size, 3]`
 */
export function shiftPixels(pixels: Uint8Array, n: number, size: number, dx: number, dy: number): Uint8Array {
  const reflect = (i: number) => (i < 0 ? -i : i >= size ? 2 * size - 2 - i : i);
  const out = new Uint8Array(n * size * size * 3);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < size; y++) {
      const fromRow = (b * size + reflect(y - dy)) * size;
      const toRow = (b * size + y) * size;
      for (let x = 0; x < size; x++) {
        const from = (fromRow + reflect(x - dx)) * 3;
        const to = (toRow + x) * 3;
        out[to] = pixels[from];
        out[to + 1] = pixels[from + 1];
        out[to + 2] = pixels[from + 2];
      }
    }
  }
  return out;
}

/** One view of a batch: its pixels made from the batch's, and its weight in the mixture. */
interface View {
  pixels: (pixels: Uint8Array, n: number, size: number) => Uint8Array;
  weight: number;
}

const plain: View['pixels'] = (pixels, n, size) => pixels.subarray(0, n * size * size * 3);
const mirrored =
  (view: View['pixels']): View['pixels'] =>
  (pixels, n, size) =>
    mirrorPixels(view(pixels, n, size), n, size);
const shifted =
  (d: number): View['pixels'] =>
  (pixels, n, size) =>
    shiftPixels(pixels, n, size, d, d);

/**
 * The views of each augmentation. 'flip-shift' follows airbench's flip + translate TTA: half the
 * weight on the image and its mirror, half on the image moved 1 pixel up-left and 1 pixel
 * down-right, each with its mirror.
 */
export const TTA_VIEWS: Readonly<Record<Exclude<TestTimeAugmentation, 'none'>, readonly View[]>> = {
  flip: [
    { pixels: plain, weight: 1 / 2 },
    { pixels: mirrored(plain), weight: 1 / 2 },
  ],
  'flip-shift': [
    { pixels: plain, weight: 1 / 4 },
    { pixels: mirrored(plain), weight: 1 / 4 },
    ...[-1, 1].flatMap((d) => [
      { pixels: shifted(d), weight: 1 / 8 },
      { pixels: mirrored(shifted(d)), weight: 1 / 8 },
    ]),
  ],
};

/** Log-softmax of one row, written into `out`. */
function logSoftmaxRow(logits: Float32Array, offset: number, c: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < c; j++) max = Math.max(max, logits[offset + j]);
  let sum = 0;
  for (let j = 0; j < c; j++) sum += Math.exp(logits[offset + j] - max);
  const logSum = max + Math.log(sum);
  for (let j = 0; j < c; j++) out[j] = logits[offset + j] - logSum;
}

/**
 * `log(sum_k weights[k] * softmax(views[k]))` per row of the views' `[n, c]` logits: scores whose
 * softmax is the weighted mean of the probabilities (weights summing to 1), so callers that take
 * a softmax (prediction, the evaluation's accumulator, its cross-entropy) need no change.
 * Computed in log space, so it stays finite where a probability underflows to 0.
 */
export function mixtureLogits(views: readonly Float32Array[], weights: readonly number[], n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  const logs = views.map(() => new Float64Array(c));
  const logWeights = weights.map(Math.log);
  for (let i = 0; i < n; i++) {
    views.forEach((view, k) => logSoftmaxRow(view, i * c, c, logs[k]));
    for (let j = 0; j < c; j++) {
      let hi = -Infinity;
      for (let k = 0; k < views.length; k++) hi = Math.max(hi, logWeights[k] + logs[k][j]);
      let sum = 0;
      for (let k = 0; k < views.length; k++) sum += Math.exp(logWeights[k] + logs[k][j] - hi);
      out[i * c + j] = hi + Math.log(sum);
    }
  }
  return out;
}

/**
 * The runner with `tta` applied to its logits: each batch runs once with all its views (one call
 * of views x n images: inference mode, so the images do not affect each other), and the views'
 * softmax probabilities are averaged with their weights, rather than their logits: the mean of
 * probabilities is the ensemble's predictive distribution, which the reported confidences and the
 * cross-entropy loss describe; averaging logits would give a sharper, geometric-mean confidence.
 * The returned logits are `mixtureLogits`, whose softmax is that mean.
 */
export function withTta(runner: LogitsRunner, tta: TestTimeAugmentation): LogitsRunner {
  if (tta === 'none') return runner;
  const views = TTA_VIEWS[tta];
  const size = runner.manifest.preprocessing.storeSize;
  const c = runner.manifest.classes.length;
  const batchBytes = (n: number) => n * size * size * 3;
  return {
    ...runner,
    async logits(pixels, n) {
      const all = new Uint8Array(views.length * batchBytes(n));
      views.forEach((view, k) => all.set(view.pixels(pixels, n, size), k * batchBytes(n)));
      const logits = await runner.logits(all, views.length * n);
      const rows = views.map((_, k) => logits.subarray(k * n * c, (k + 1) * n * c));
      return mixtureLogits(
        rows,
        views.map((v) => v.weight),
        n,
        c,
      );
    },
  };
}

/** How evaluation and prediction run their forward passes; every field has a default. */
export interface InferenceChoice {
  runtime?: InferenceRuntime;
  device?: DeviceChoice;
  /** 'flip' also runs each image mirrored and averages the probabilities (see withTta); default 'none'. */
  tta?: TestTimeAugmentation;
  onRuntime?: (info: RuntimeInfo) => void;
}

/** The checkpoint of `run` opened as `choice` asks, its test-time augmentation applied. @throws UserError for a wrong tta */
export async function openInference(run: string, choice: InferenceChoice): Promise<{ runner: LogitsRunner; tta: TestTimeAugmentation }> {
  const tta = requestedTta(choice.tta);
  return { runner: withTta(await openLogitsRunner(run, choice.runtime, choice.device), tta), tta };
}
