import path from 'node:path';
import {
  defaultTrainConfig,
  train,
  INFERENCE_RUNTIMES,
  type Groups,
  type Scale,
  type Stem,
  type TrainConfig,
  type TrainEvent,
  divergenceMessage,
  pretrainedDir,
} from '../../engine/api';
import { defaultInputSize, GROUPS, SCALES, STEMS, TRAIN_CONFIG_DEFAULTS } from '../../contract/train-config-values';
import { choiceOption, numberOption, requiredString } from '../args';
import type { Command } from '../command';
import { bar, formatDuration, percent, type Output } from '../output';
import { INIT_OPTIONS, runLinearProbe, withInit } from './train-init';
import { trainingDevice, withDevice } from './train-device';

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train ShuffleNetV1 on a dataset folder, writing checkpoints to a run folder',
  usage:
    'train --dataset <dir> --out <run-dir> [--scale 2.0] [--groups 3] [--stem cifar|imagenet] [--input-size N] [--epochs N] ' +
    '[--batch-size N] [--lr X] [--momentum X] [--weight-decay X] [--warmup-epochs N] [--label-smoothing X] [--seed N] ' +
    '[--limit N] [--micro-batch N|auto] [--keep N] [--no-augment] [--zero-init-branches] [--head-lr-scale X] [--runtime auto|onnx|tfjs] [--device auto|cuda|webgpu|cpu] [--init scratch|pretrained|<run-or-checkpoint-dir>] [--linear-probe] [--head-only-epochs N] [--backbone-lr-scale X] [--resume] [--json]',
  options: {
    dataset: { type: 'string' },
    out: { type: 'string' },
    scale: { type: 'string' },
    groups: { type: 'string' },
    stem: { type: 'string' },
    'input-size': { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    momentum: { type: 'string' },
    'weight-decay': { type: 'string' },
    'warmup-epochs': { type: 'string' },
    'label-smoothing': { type: 'string' },
    seed: { type: 'string' },
    limit: { type: 'string' },
    'micro-batch': { type: 'string' },
    keep: { type: 'string' },
    'validation-fraction': { type: 'string' },
    'no-augment': { type: 'boolean' },
    'zero-init-branches': { type: 'boolean' },
    'head-lr-scale': { type: 'string' },
    runtime: { type: 'string' },
    device: { type: 'string' },
    resume: { type: 'boolean' },
    ...INIT_OPTIONS,
  },
  async run({ values, out, signal }) {
    const device = await trainingDevice(values);
    const config = await withInit({ ...configFromOptions(values), ...(device === undefined ? {} : { device }) }, values);
    if (values['linear-probe']) return runLinearProbe(config, out, signal);
    const onEvent = withDevice(out.json ? (event) => out.line(event) : humanProgress(out));
    const done = await train(config, { signal, onEvent, resume: Boolean(values.resume) });
    if (!out.json) {
      const ended = { completed: 'Finished', stopped: 'Stopped', diverged: 'Diverged' }[done.status];
      out.result(
        done,
        () =>
          (done.divergence ? `${divergenceMessage(done.divergence)}\n` : '') +
          `${ended} after ${done.epochsCompleted} epochs in ${formatDuration(done.elapsedSec)}; ` +
          `best validation accuracy ${percent(done.bestValAccuracy)}; checkpoint ${done.checkpoint ?? 'none'}`,
      );
    }
    // A diverged run is no result: scripts see it in the exit code.
    return done.status === 'diverged' ? DIVERGED_EXIT_CODE : 0;
  },
};

/** Exit code of a run that ended as 'diverged' (1 is an error before or during training). */
export const DIVERGED_EXIT_CODE = 3;

function configFromOptions(values: Record<string, string | boolean | undefined>): TrainConfig {
  const stem = choiceOption<Stem>(values, 'stem', STEMS, TRAIN_CONFIG_DEFAULTS.stem);
  const microBatch = values['micro-batch'];
  const overrides: Partial<TrainConfig> = {
    scale: choiceOption<Scale>(values, 'scale', SCALES, TRAIN_CONFIG_DEFAULTS.scale),
    groups: choiceOption<Groups>(values, 'groups', GROUPS, TRAIN_CONFIG_DEFAULTS.groups),
    stem,
    inputSize: numberOption(values, 'input-size', defaultInputSize(stem)),
    epochs: numberOption(values, 'epochs'),
    batchSize: numberOption(values, 'batch-size'),
    lr: numberOption(values, 'lr'),
    momentum: numberOption(values, 'momentum'),
    weightDecay: numberOption(values, 'weight-decay'),
    warmupEpochs: numberOption(values, 'warmup-epochs'),
    labelSmoothing: numberOption(values, 'label-smoothing'),
    seed: numberOption(values, 'seed'),
    limit: numberOption(values, 'limit'),
    keepCheckpoints: numberOption(values, 'keep'),
    validationFraction: numberOption(values, 'validation-fraction'),
    microBatchSize: microBatch === undefined || microBatch === 'auto' ? undefined : numberOption(values, 'micro-batch'),
    augment: values['no-augment'] ? false : undefined,
    zeroInitBranches: values['zero-init-branches'] ? true : undefined,
    headLrScale: numberOption(values, 'head-lr-scale'),
    // Without --runtime the engine reads SHUFFLENET_RUNTIME, then takes 'auto'.
    runtime: values.runtime === undefined ? undefined : choiceOption(values, 'runtime', INFERENCE_RUNTIMES, 'auto'),
  };
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  return defaultTrainConfig({
    ...defined,
    dataset: path.resolve(requiredString(values, 'dataset')),
    outDir: path.resolve(requiredString(values, 'out')),
  });
}

/** The model a run started from, in words: the engine's event names the resolved folder. */
function sourceOf(init: string | undefined): string {
  let pretrained: string | null = null;
  try {
    pretrained = pretrainedDir();
  } catch {
    // Not installed: the run started from another folder.
  }
  return init !== undefined && pretrained !== null && path.resolve(init) === path.resolve(pretrained) ? "the pretrained model's" : `those of ${init}`;
}

/** A one-line progress bar per step and a summary line per epoch. */
function humanProgress(out: Output): (event: TrainEvent) => void {
  let epochs = 0;
  return (event) => {
    switch (event.type) {
      case 'start':
        epochs = event.config.epochs;
        out.endProgress();
        process.stderr.write(
          `Training on ${event.backend}: ${event.trainCount} training and ${event.validationCount} validation images, ` +
            `${event.classes.length} classes, ${event.stepsPerEpoch} steps per epoch, micro-batch ${event.microBatchSize}` +
            (event.startEpoch > 0 ? `, resuming after epoch ${event.startEpoch}` : '') +
            '\n',
        );
        if (event.knownClasses.length > 0) process.stderr.write(`Head rows of ${event.knownClasses.join(', ')} start from ${sourceOf(event.config.init)}.\n`);
        break;
      case 'batch':
        out.progress(
          `epoch ${event.epoch}/${epochs} ${bar(event.step / event.stepsPerEpoch)} ${event.step}/${event.stepsPerEpoch} ` +
            `loss ${event.loss.toFixed(4)} acc ${percent(event.accuracy, 1)} lr ${event.lr.toExponential(2)} ${event.imagesPerSec.toFixed(1)} img/s`,
        );
        break;
      case 'epoch':
        out.endProgress();
        process.stderr.write(
          `epoch ${event.epoch}/${event.epochs}: train loss ${event.trainLoss.toFixed(4)} acc ${percent(event.trainAccuracy)} | ` +
            `val loss ${event.valLoss.toFixed(4)} top-1 ${percent(event.valAccuracy)} top-5 ${percent(event.valTop5)} | ` +
            `${formatDuration(event.elapsedSec)} elapsed, ETA ${formatDuration(event.etaSec)}\n`,
        );
        break;
      case 'checkpoint':
        process.stderr.write(`checkpoint: ${event.path}\n`);
        break;
      case 'done':
        break;
    }
  };
}
