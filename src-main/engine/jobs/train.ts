/**
 * Training as the host runs it: the training loop (train/train.ts), or for a fresh run with
 * `linearProbe` the quick path (transfer/linear-probe.ts). Here, above both folders, because the
 * quick path itself loads data and writes checkpoints with train/'s pieces.
 */
import type { TrainConfig, TrainEvent } from '../types';
import { runTraining, type QuickPath, type TrainOptions } from '../train/train';

export { defaultTrainConfig } from '../train/config';

type DoneEvent = Extract<TrainEvent, { type: 'done' }>;

/** The quick path as a run: one fitted head, reported with the events a one-epoch run sends. */
const probeAsRun: QuickPath = async (config, options) => {
  // Loaded only when asked for, as before: most runs train the whole model.
  const { linearProbe, probeOptionsOf } = await import('../transfer/linear-probe');
  const result = await linearProbe({
    ...probeOptionsOf(config),
    signal: options.signal,
    onEvent: options.onEvent,
  });
  return {
    status: 'completed',
    epochsCompleted: 1,
    bestValAccuracy: Number.isFinite(result.valAccuracy) ? result.valAccuracy : 0,
    checkpoint: result.checkpoint,
  };
};

/**
 * Trains ShuffleNetV1 on `config.dataset` and writes the run to `config.outDir`:
 * `run.json`, `metrics.jsonl` and `checkpoints/epoch-NNNN/` (see checkpoint/checkpoint.ts).
 *
 * Model input `[batch, inputSize, inputSize, 3]` normalised with the run's preprocessing, output
 * logits `[batch, numClasses]`; loss is label-smoothed cross-entropy, both for the train and the
 * validation numbers in events (evaluation reports plain cross-entropy). Batch events carry the
 * running means of the epoch so far; validation metrics are 0 when the dataset has no validation
 * or test images.
 *
 * Stopping through `signal` ends at the next batch boundary (or between validation batches) and
 * writes a checkpoint of that exact point; `resume: true` continues from the newest checkpoint of
 * `outDir` with the same weights, momentum, schedule position and data order, so the result
 * matches an uninterrupted run. Resuming a finished run returns its 'done' event at once.
 *
 * With `linearProbe` a fresh run is the quick path instead (transfer/linear-probe.ts): one fitted
 * head, reported with the events a one-epoch run sends.
 *
 * A run from `init` may fine-tune (step/fine-tune.ts): its first `headOnlyEpochs` update only the
 * classifier head over the backbone in inference mode, and `backboneLrScale` scales the backbone's
 * rate against the head's; both continue exactly across a resume, in either phase.
 * @throws UserError for bad options, an unusable dataset, or a fresh run into a folder that holds one
 */
export function train(requested: TrainConfig, options: TrainOptions = {}): Promise<DoneEvent> {
  return runTraining(requested, options, probeAsRun);
}
