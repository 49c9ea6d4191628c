/**
 * The score from which the audit flags a label issue, set from the held-out heads' own
 * calibration rather than a constant.
 *
 * Why: a fixed cut on 1 - p(label) means something else with every backbone. 0.98 was set on the
 * 0.5x backbone; the surer heads on the 1.0x one put up to 12 of 500 correctly filed CIFAR-10 test
 * images past it (docs/results.md, 2026-12-03). What should hold across backbones is the number of
 * correctly filed images flagged, so the cut is set on an estimate of that number:
 *
 *   expectedFalseFlags(t) = sum over images i, over classes k other than i's top class, of
 *                           q_ik * [1 - p_ik >= t]
 *
 * q_ik is the calibrated chance that k is image i's class; were the image filed under k, correctly,
 * its score would be 1 - p_ik, flagged from t on. (The top class is left out: an image filed under
 * its top class is never a label issue.) The cut is the lowest t whose expected false flags stay
 * within FALSE_FLAG_SHARE of the images.
 *
 * Why q is temperature-scaled and not p itself: the heads' L2 is strong on purpose
 * (out-of-sample.ts), which leaves them underconfident on average (a fitted temperature of
 * 0.63-0.76 on 500 CIFAR-10 test images with the 1.0x backbone), so the raw p overstates how often
 * a correct label gets a low probability (about 30 expected false flags of 500 at 0.98, where 2-12
 * were seen). One temperature, fitted by the likelihood of the given labels, corrects the average.
 * The labels are those under audit, a few per cent of them perhaps wrong, and a wrong label would
 * pull the fit towards softer probabilities; so the fit assumes each label is a uniform random
 * class with chance LABEL_NOISE_PRIOR, which bounds what one wrong label can cost.
 */

/** Assumed share of wrong labels while fitting the temperature: "a few per cent", as the 5% benchmark. */
export const LABEL_NOISE_PRIOR = 0.05;
/**
 * Expected correctly filed images flagged, as a share of the labeled images: 1 in 500. The target
 * is fewer than 5 flagged in a clean 500-image folder; on the five design folders (bench:audit
 * seeds 0-4) an expected 1 came out as 0 to 3 actually flagged, so the estimate runs low in the
 * far tail and the share leaves room for that.
 */
export const FALSE_FLAG_SHARE = 0.002;
/**
 * The budget of a small folder, in images: 1 in 500 of 36 images would ask for a certainty no head
 * gives (on the tests' 36-image folder it left one of two files moved between classes, p(label)
 * about 1e-5, unflagged); half an image expected keeps a flagged list more often right than not.
 */
export const MIN_FALSE_FLAGS = 0.5;
/** Temperatures searched (as log 1/T): wide enough for any head the audit fits. */
const LOG_BETA_RANGE = [Math.log(1 / 20), Math.log(20)] as const;
/** Golden-section steps: the bracket shrinks to 1e-8 of its width, far below what moves the cut. */
const SEARCH_STEPS = 40;
/** Significant digits of the p(label) cut, so the number shown is the one applied, at any sharpness. */
const CUT_DIGITS = 2;

/** `x` > 0 rounded down to `digits` significant digits (0 stays 0). */
function roundDown(x: number, digits: number): number {
  if (!(x > 0)) return 0;
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(x)));
  if (!Number.isFinite(scale)) return 0;
  return Math.floor(x * scale * (1 + 1e-12)) / scale;
}

export interface FlagThreshold {
  /** Flag an issue whose score (1 - p(label)) is at least this. */
  threshold: number;
  /** 1 - threshold: the p(label) at or below which an issue is flagged, to 2 significant digits. */
  labelProbabilityCut: number;
  /** T in softmax(log p / T) that best explains the labels; below 1 sharpens, above 1 softens. */
  temperature: number;
  /** Correctly filed images expected above the threshold, under the calibrated probabilities. */
  expectedFalseFlags: number;
}

const safeLog = (p: number) => Math.log(Math.max(p, 1e-300));

/** Row `i` of `probabilities` at inverse temperature `beta`, written into `out`. */
function scaledRow(probabilities: Float64Array, i: number, classes: number, beta: number, out: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, (out[k] = beta * safeLog(probabilities[i * classes + k])));
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += out[k] = Math.exp(out[k] - max);
  for (let k = 0; k < classes; k++) out[k] /= sum;
}

/**
 * The temperature that maximises the likelihood of `labels` under softmax(log p / T), each label
 * taken as right with chance 1 - `noise` and as a uniform random class otherwise.
 * @param probabilities row-major `[labels.length, classes]`
 */
export function fitTemperature(probabilities: Float64Array, labels: Int32Array, classes: number, noise = LABEL_NOISE_PRIOR): number {
  const row = new Float64Array(classes);
  const loss = (logBeta: number) => {
    const beta = Math.exp(logBeta);
    let sum = 0;
    for (let i = 0; i < labels.length; i++) {
      scaledRow(probabilities, i, classes, beta, row);
      sum -= Math.log((1 - noise) * row[labels[i]] + noise / classes);
    }
    return sum;
  };
  let [lo, hi] = LOG_BETA_RANGE;
  const golden = (Math.sqrt(5) - 1) / 2;
  for (let step = 0; step < SEARCH_STEPS; step++) {
    const a = hi - golden * (hi - lo);
    const b = lo + golden * (hi - lo);
    if (loss(a) < loss(b)) hi = b;
    else lo = a;
  }
  return 1 / Math.exp((lo + hi) / 2);
}

/**
 * The calibrated flagging threshold for out-of-sample `probabilities` and the `labels` they judge.
 * @param probabilities row-major `[labels.length, classes]`, from heads that did not see the image
 */
export function calibratedFlagThreshold(probabilities: Float64Array, labels: Int32Array, classes: number): FlagThreshold {
  const n = labels.length;
  const temperature = fitTemperature(probabilities, labels, classes);
  const q = new Float64Array(classes);
  // Every (raw p, calibrated q) a correct label other than the top class could have.
  const pairs: { p: number; q: number }[] = [];
  for (let i = 0; i < n; i++) {
    scaledRow(probabilities, i, classes, 1 / temperature, q);
    let top = 0;
    for (let k = 1; k < classes; k++) if (probabilities[i * classes + k] > probabilities[i * classes + top]) top = k;
    for (let k = 0; k < classes; k++) if (k !== top) pairs.push({ p: probabilities[i * classes + k], q: q[k] });
  }
  pairs.sort((a, b) => a.p - b.p);
  // The most suspicious scores first: take them while the expected false flags stay in budget.
  const budget = Math.max(FALSE_FLAG_SHARE * n, MIN_FALSE_FLAGS);
  let taken = 0;
  let expected = 0;
  while (taken < pairs.length && expected + pairs[taken].q <= budget) expected += pairs[taken++].q;
  // A tie with the first left out is left out too.
  while (taken > 0 && taken < pairs.length && pairs[taken - 1].p === pairs[taken].p) expected -= pairs[--taken].q;
  // The p(label) cut: halfway between the last taken and the first left out, rounded down to 2
  // significant digits so that the number shown is the one applied, at any sharpness of the heads.
  const cut = taken === 0 ? 0 : roundDown(taken < pairs.length ? (pairs[taken - 1].p + pairs[taken].p) / 2 : pairs[taken - 1].p, CUT_DIGITS);
  // Printed as it is applied: 1 - 0.0087 is 0.9913, not 0.9912999999999999.
  const threshold = Number((1 - cut).toFixed(12));
  return { threshold, labelProbabilityCut: cut, temperature, expectedFalseFlags: expected };
}
