/**
 * The dataset audit (issue 16): likely label errors by confident learning on cross-validated
 * probabilities, exact and near-duplicate images, and health checks (class balance, small and
 * unreadable images), in one report. Stages report progress and stop on `signal`.
 */
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { initBackend } from '../backend';
import { AbortedError, UserError } from '../errors';
import { loadCheckpoint } from '../checkpoint/checkpoint';
import { resolveInit } from '../checkpoint/pretrained';
import { findLabelIssues } from './confident-learning';
import { calibratedFlagThreshold } from './flag-threshold';
import { DUPLICATE_METHOD, findDuplicates, type DuplicateGroup, type HashedImage } from './duplicates';
import { fileListSplit } from './file-list-split';
import { healthWarnings, SMALL_SIDE_SHARE, type AuditWarning } from './health';
import { readImageFacts } from './image-facts';
import { outOfSampleProbabilities } from './out-of-sample';
import { featuresOf } from '../transfer/features';

export const DEFAULT_FOLDS = 5;
/**
 * Bytes of decoded pixels the hashing stage keeps for the features stage, so no image is decoded
 * twice: 50,000 images of a 32x32 store take 150 MB. Past it (large stores, large folders) the
 * rest are decoded again in the features stage instead of risking the ML host's memory.
 */
export const KEPT_PIXEL_BYTES = 512 * 1024 * 1024;

export type AuditStage = 'hashing' | 'features' | 'cross-validation';

export interface AuditItem {
  /** Absolute path of the image file. */
  path: string;
  /** Index into `classes`, or null when the image has no label yet. */
  label: number | null;
  /** The split the image trains or validates in ('train', 'validation', ...), for leak checks. */
  split?: string;
}

export interface AuditOptions {
  items: readonly AuditItem[];
  classes: readonly string[];
  /** A run or checkpoint folder whose backbone gives the features, or 'pretrained' for the shipped model. */
  from: string;
  /** Files the caller already could not read (a folder scan's skipped list): reported as unreadable. */
  skipped?: readonly { path: string; reason: string }[];
  folds?: number;
  /**
   * Score (1 - p(label), 0 to 1) from which an issue is flagged. Default: set from the held-out
   * heads' calibration (flag-threshold.ts), so that it suits whatever backbone gave the features.
   */
  threshold?: number;
  /** Seeds the folds. */
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (stage: AuditStage, done: number, total: number) => void;
}

export interface MislabeledImage {
  path: string;
  /** The class it is filed under. */
  label: string;
  /** The class the out-of-sample model confidently counts it as. */
  suggested: string;
  /** 1 - p(label), from the head that did not see the image; higher is more suspicious. */
  score: number;
  /** The score reaches the threshold: very likely a wrong label, not just a hard image. */
  flagged: boolean;
  labelProbability: number;
  suggestedProbability: number;
}

export interface AuditReport {
  /** Every label issue confident learning finds, most suspicious first; `flagged` ones reach the threshold. */
  likelyMislabeled: MislabeledImage[];
  /** Each group's paths (duplicateGroups without the details). */
  duplicates: string[][];
  duplicateGroups: DuplicateGroup[];
  /** Readable labeled images per class. */
  classCounts: Record<string, number>;
  /** Short sentences naming counts; the messages of warningDetails. */
  warnings: string[];
  /** Each warning with its kind and the images behind it. */
  warningDetails: AuditWarning[];
  /** Shorter side below half the model's input side. */
  smallImages: { path: string; width: number; height: number }[];
  unreadable: { path: string; reason: string }[];
  method: {
    labelErrors: string;
    duplicates: string;
    folds: number;
    /** The checkpoint folder whose backbone gave the features. */
    model: string;
    /** Score from which an issue is flagged; null when label errors were not looked for and none was given. */
    threshold: number | null;
    /** Where the threshold came from: the `threshold` option, or the heads' calibration; null when neither. */
    thresholdFrom: 'given' | 'calibrated' | null;
    /** The temperature the calibration fitted to the heads' probabilities; null when not calibrated. */
    temperature: number | null;
    /** Share of labeled images whose out-of-sample top class is their label; null when not run. */
    crossValidationAccuracy: number | null;
  };
}

/**
 * Why label errors cannot be looked for with `folds` folds, or null when they can: at least two
 * classes need images, and every class with images needs one per fold, so each fold's head has
 * seen the class it may have to suggest.
 */
export function labelCheckProblem(classCounts: Record<string, number>, folds: number): string | null {
  const present = Object.entries(classCounts).filter(([, n]) => n > 0);
  if (present.length < 2)
    return `it needs labeled images in at least 2 classes, and ${present.length === 1 ? `only ${present[0][0]} has any` : 'none has any'}`;
  const short = present.filter(([, n]) => n < folds);
  if (short.length === 0) return null;
  const list = short
    .slice(0, 3)
    .map(([name, n]) => `${name} has ${n}`)
    .join(', ');
  return `${folds}-fold cross-validation needs at least ${folds} labeled images per class, and ${list}${short.length > 3 ? ` (and ${short.length - 3} more classes)` : ''}`;
}

/**
 * Paths relative to the folder that holds them all: the keys the folds are seeded on, so the same
 * folder gets the same folds wherever it lies (a temporary copy, another machine).
 */
function relativeKeys(paths: readonly string[]): string[] {
  if (paths.length === 0) return [];
  let root = dirname(paths[0]);
  while (!paths.every((p) => p.startsWith(root.endsWith(sep) ? root : root + sep)) && dirname(root) !== root) root = dirname(root);
  return paths.map((p) => relative(root, p).split(sep).join('/'));
}

function checkOptions(options: AuditOptions, folds: number): void {
  if (!Number.isInteger(folds) || folds < 2) throw new UserError(`folds must be a whole number of at least 2, got ${folds}`, 'bad-option');
  const { threshold } = options;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    throw new UserError(`threshold is a score 1 - p(label), from 0 to 1; got ${threshold}`, 'bad-option');
  }
  for (const item of options.items) {
    if (!isAbsolute(item.path)) throw new UserError(`audit paths must be absolute, got ${item.path}`, 'bad-option');
    if (item.label !== null && !(Number.isInteger(item.label) && item.label >= 0 && item.label < options.classes.length)) {
      throw new UserError(`${item.path}: label ${item.label} is not a class index (0 to ${options.classes.length - 1})`, 'bad-option');
    }
  }
}

export async function auditDataset(options: AuditOptions): Promise<AuditReport> {
  const { items, classes, signal } = options;
  const folds = options.folds ?? DEFAULT_FOLDS;
  checkOptions(options, folds);
  if (options.from === 'scratch') throw new UserError('an audit needs a trained model: a run, a checkpoint folder or pretrained', 'bad-option');
  const from = options.from === 'pretrained' ? (resolveInit('pretrained') as string) : options.from;
  if (signal?.aborted) throw new AbortedError();
  await initBackend();
  const { model, manifest, dir } = await loadCheckpoint(from);
  try {
    const prep = manifest.preprocessing;
    // Labeled images keep their stored pixels for the features stage, the first ones up to the budget.
    const keptMax = Math.floor(KEPT_PIXEL_BYTES / (prep.storeSize * prep.storeSize * 3));
    const kept = new Set(items.flatMap((item, i) => (item.label === null ? [] : [i])).slice(0, keptMax));
    const unreadable = [...(options.skipped ?? []).map(({ path, reason }) => ({ path, reason }))];
    const hashed: (HashedImage & { width: number; height: number; pixels?: Uint8Array })[] = [];
    // Not held in a variable: the kept pixels then live only in `hashed`, until the features are out.
    (
      await readImageFacts(
        items.map((item) => item.path),
        { keep: { prep, index: (i) => kept.has(i) }, signal, onProgress: (done, total) => options.onProgress?.('hashing', done, total) },
      )
    ).forEach((fact, i) => {
      if (fact.readable) hashed.push({ ...items[i], ...fact });
      else unreadable.push({ path: items[i].path, reason: fact.reason });
    });
    const labeled = hashed.filter((image): image is typeof image & { label: number } => image.label !== null);
    const classCounts = Object.fromEntries(classes.map((name) => [name, 0]));
    for (const image of labeled) classCounts[classes[image.label]]++;

    const problem = labelCheckProblem(classCounts, folds);
    let likelyMislabeled: MislabeledImage[] = [];
    let crossValidationAccuracy: number | null = null;
    let threshold = options.threshold ?? null;
    let thresholdFrom: AuditReport['method']['thresholdFrom'] = threshold === null ? null : 'given';
    let temperature: number | null = null;
    let labelErrors = `not looked for: ${problem}`;
    if (problem === null) {
      const paths = labeled.map((image) => image.path);
      const labels = Int32Array.from(labeled, (image) => image.label);
      const split = fileListSplit(
        paths,
        labels,
        prep,
        labeled.map((image) => image.pixels),
      );
      const rows = [...labels.keys()];
      const features = await featuresOf(model, split, rows, prep, {
        mirror: true,
        signal,
        onProgress: (done) => options.onProgress?.('features', done, rows.length),
      });
      const outOfSample = await outOfSampleProbabilities(features, labels, relativeKeys(paths), {
        classes: classes.length,
        folds,
        seed: options.seed ?? 0,
        signal,
        onProgress: (done, total) => options.onProgress?.('cross-validation', done, total),
      });
      crossValidationAccuracy = outOfSample.accuracy;
      let thresholdWords = 'given';
      if (threshold === null) {
        const calibrated = calibratedFlagThreshold(outOfSample.probabilities, labels, classes.length);
        ({ threshold, temperature } = calibrated);
        thresholdFrom = 'calibrated';
        thresholdWords = `calibrated: at temperature ${temperature.toFixed(2)} the heads expect ${calibrated.expectedFalseFlags.toFixed(1)} correctly labeled images of ${labels.length} to score this high`;
      }
      const cut = threshold;
      likelyMislabeled = findLabelIssues(outOfSample.probabilities, labels, classes.length).map((issue) => ({
        path: paths[issue.index],
        label: classes[issue.label],
        suggested: classes[issue.suggested],
        score: issue.score,
        flagged: issue.score >= cut,
        labelProbability: issue.labelProbability,
        suggestedProbability: issue.suggestedProbability,
      }));
      labelErrors =
        `confident learning (Northcutt et al. 2021; per-class thresholds, confident joint, prune by noise rate, ranked by self-confidence; also any image below chance on its label with another class first) ` +
        `on out-of-sample probabilities from ${folds}-fold stratified cross-validation of a softmax head (L2 ${outOfSample.l2}) ` +
        `on the model's frozen features (mean of each image and its mirror); flagged when 1 - p(label) >= ${threshold} (${thresholdWords})`;
    }

    // The pixels have served the features; the rest of the audit needs only the hashes.
    for (const image of hashed) delete image.pixels;
    const duplicateGroups = await findDuplicates(hashed, signal);
    const minSide = prep.inputSize * SMALL_SIDE_SHARE;
    const smallImages = hashed
      .filter((image) => image.width > 0 && Math.min(image.width, image.height) < minSide)
      .map(({ path, width, height }) => ({ path, width, height }));
    const warningDetails = healthWarnings({
      classCounts,
      duplicateGroups,
      smallImages,
      unreadable,
      likelyMislabeled: likelyMislabeled.filter((m) => m.flagged),
      inputSize: prep.inputSize,
    });
    if (problem !== null) warningDetails.push({ kind: 'mislabeled', message: `label errors were not looked for: ${problem}`, paths: [] });
    return {
      likelyMislabeled,
      duplicates: duplicateGroups.map((group) => group.paths),
      duplicateGroups,
      classCounts,
      warnings: warningDetails.map((w) => w.message),
      warningDetails,
      smallImages,
      unreadable,
      method: {
        labelErrors,
        duplicates: DUPLICATE_METHOD,
        folds,
        model: dir,
        threshold,
        thresholdFrom,
        temperature,
        crossValidationAccuracy,
      },
    };
  } finally {
    model.dispose();
  }
}
