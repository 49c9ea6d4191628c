/** Evaluation of a trained run on a dataset split: loss, top-1/top-5, confusion matrix, per-class metrics. */
import { loadDataset } from '../data/load-dataset';
import { AbortedError, assertFiniteLogits, UserError } from '../errors';
import { ClassificationAccumulator, perClassMetrics } from '../metrics/metrics';
import type { RuntimeInfo } from '../runtime/logits-runner';
import { openInference, type InferenceChoice } from '../runtime/tta';
import { spreadSubset } from '../data/data-order';
import type { DatasetSplit, EvaluationResult, TestTimeAugmentation } from '../types';

const DEFAULT_BATCH_SIZE = 64;

/** The split name that means every labeled image of the dataset, whichever split it fell in (a separate test folder). */
export const ALL_SPLITS = 'all';

/**
 * Evaluates the newest checkpoint of `run` (or the checkpoint folder `run` names) on one split of
 * `dataset`, prepared exactly as in training (the checkpoint's preprocessing; folder datasets are
 * split with the run's seed and validation fraction, so `validation` is the run's own).
 *
 * - `split`: default `test` when the dataset has one, else `validation`; `all` (ALL_SPLITS) takes
 *   every labeled image, for a folder kept apart for testing that the loader would otherwise split.
 * - `limit`: evaluate at most N labeled samples, spread evenly over the split.
 * - `loss` is plain cross-entropy (no label smoothing); `confusion[true][predicted]`;
 *   `misclassified` lists every wrong sample with its id, predicted class and that class's probability.
 * Batches of `batchSize` images `[batch, inputSize, inputSize, 3]` go through the model in
 * inference mode, on ONNX Runtime or tfjs (`runtime`) and ONNX Runtime's `device` (see
 * openLogitsRunner; the result names the ones that ran, `onRuntime` hears them with details);
 * `onProgress(done, total)` after each. `tta` 'flip' also runs each batch mirrored and averages
 * the probabilities (see withTta); the result names the one that ran.
 * @throws UserError for a wrong run path, a missing split, classes that differ from the run's, or
 *   a model whose outputs are not finite
 * @throws AbortedError when `signal` fires
 */
export async function evaluate(
  options: {
    run: string;
    dataset: string;
    split?: string;
    limit?: number;
    batchSize?: number;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  } & InferenceChoice,
): Promise<EvaluationResult & { device: RuntimeInfo['device']; tta: TestTimeAugmentation }> {
  const { signal } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batchSize must be a whole number of at least 1, got ${batchSize}`, 'bad-option');
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
    throw new UserError(`limit must be a whole number of at least 1, got ${options.limit}`, 'bad-option');
  }
  const { runner, tta } = await openInference(options.run, options);
  const { manifest } = runner;
  try {
    options.onRuntime?.(runner);
    const prep = manifest.preprocessing;
    const dataset = await loadDataset(options.dataset, {
      storeSize: prep.storeSize,
      fit: prep.fit,
      validationFraction: manifest.config.validationFraction,
      seed: manifest.config.seed,
      signal,
    });
    if (dataset.classes.join('\n') !== manifest.classes.join('\n')) {
      throw new UserError(
        `${dataset.root} has classes [${dataset.classes.join(', ')}] but the run was trained on [${manifest.classes.join(', ')}]`,
        'dataset-mismatch',
      );
    }
    const splitName = options.split ?? ('test' in dataset.splits ? 'test' : 'validation');
    const parts = splitName === ALL_SPLITS && !(ALL_SPLITS in dataset.splits) ? Object.values(dataset.splits) : [dataset.splits[splitName]];
    if (!parts[0]) {
      throw new UserError(`${dataset.root} has no "${splitName}" split (it has: ${[...Object.keys(dataset.splits), ALL_SPLITS].join(', ')})`, 'bad-option');
    }
    // Every labeled image as (split, index); a limit spreads over the whole list, so 'all' with a
    // limit still samples every split.
    let labeled: { split: DatasetSplit; index: number }[] = [];
    for (const split of parts) for (let i = 0; i < split.count; i++) if (split.labels[i] >= 0) labeled.push({ split, index: i });
    if (options.limit !== undefined) labeled = spreadSubset(labeled, options.limit);
    if (labeled.length === 0) throw new UserError(`The "${splitName}" split of ${dataset.root} has no labeled images`, 'dataset-invalid');

    const acc = new ClassificationAccumulator(manifest.classes.length, 0, true);
    let done = 0;
    for (const split of parts) {
      const indices = labeled.filter((l) => l.split === split).map((l) => l.index);
      for (let start = 0; start < indices.length; start += batchSize) {
        if (signal?.aborted) throw new AbortedError();
        const batch = indices.slice(start, start + batchSize);
        const logits = await runner.logits(await split.readPixels(batch), batch.length);
        assertFiniteLogits(logits, runner.dir);
        acc.add(
          logits,
          Int32Array.from(batch, (i) => split.labels[i]),
          batch.map((i) => split.id(i)),
        );
        done += batch.length;
        options.onProgress?.(done, labeled.length);
      }
    }
    if (signal?.aborted) throw new AbortedError();
    return {
      top1: acc.accuracy,
      top5: acc.top5Accuracy,
      loss: acc.loss,
      count: acc.count,
      classes: manifest.classes,
      confusion: acc.confusion,
      perClass: perClassMetrics(acc.confusion),
      misclassified: acc.misclassified,
      samples: acc.samples,
      runtime: runner.runtime,
      device: runner.device,
      tta,
    };
  } finally {
    await runner.dispose();
  }
}
