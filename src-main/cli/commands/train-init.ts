/**
 * `train --init`, `--linear-probe` and the fine-tuning flags (`--head-only-epochs`,
 * `--backbone-lr-scale`): where a run's weights start, the quick path for small folders, and how
 * the started-from model is tuned.
 */
import { UserError, linearProbe, probeOptionsOf, initSource, withInitArchitecture, type TrainConfig } from '../../engine/api';
import { numberOption } from '../args';
import { percent, formatDuration, type Output } from '../output';

export const INIT_OPTIONS = {
  init: { type: 'string' },
  'linear-probe': { type: 'boolean' },
  'head-only-epochs': { type: 'string' },
  'backbone-lr-scale': { type: 'string' },
} as const;

/** The fine-tuning flags, as TrainConfig fields (the engine checks their values: train/config.ts). */
const FINE_TUNE_FLAGS = [
  ['head-only-epochs', 'headOnlyEpochs'],
  ['backbone-lr-scale', 'backboneLrScale'],
] as const;

/** The model flags an --init source fixes; given as well and different, they are a one-line error. */
const ARCH_FLAGS = [
  ['scale', 'scale'],
  ['groups', 'groups'],
  ['stem', 'stem'],
] as const;

/**
 * Resolves `--init` into the config: the source checkpoint folder and, from its manifest, the
 * architecture (scale, groups, stem; the input size stays the run's own, since fine-tuning at
 * another resolution is normal).
 */
export async function withInit(config: TrainConfig, values: Record<string, string | boolean | undefined>): Promise<TrainConfig> {
  const source = await initSource(typeof values.init === 'string' ? values.init : undefined);
  if (source === null) {
    if (values['linear-probe'])
      throw new UserError('--linear-probe fits a head on a trained backbone: add --init pretrained or --init <run-dir>', 'bad-option');
    const flag = FINE_TUNE_FLAGS.find(([name]) => values[name] !== undefined)?.[0];
    if (flag) throw new UserError(`--${flag} tunes a model started from another: add --init pretrained or --init <run-dir>`, 'bad-option');
    return withInitArchitecture(config, null);
  }
  if (values['linear-probe'] && FINE_TUNE_FLAGS.some(([name]) => values[name] !== undefined)) {
    throw new UserError(
      '--linear-probe fits the head in one go: leave out --head-only-epochs and --backbone-lr-scale (or drop --linear-probe to fine-tune)',
      'bad-option',
    );
  }
  for (const [flag, key] of ARCH_FLAGS) {
    const given = values[flag];
    if (given !== undefined && String(source.model[key]) !== String(Number(given) || given)) {
      throw new UserError(
        `--${flag} ${given} conflicts with --init ${values.init}, whose model has ${key} ${source.model[key]}; leave --${flag} out`,
        'bad-option',
      );
    }
  }
  const inputSize = values['input-size'] === undefined ? source.model.inputSize : config.inputSize;
  const tuning = Object.fromEntries(FINE_TUNE_FLAGS.flatMap(([flag, key]) => (values[flag] === undefined ? [] : [[key, numberOption(values, flag)]])));
  return withInitArchitecture({ ...config, inputSize, ...tuning }, source);
}

/** The quick path: features once through the frozen backbone, a fitted head, one checkpoint. */
export async function runLinearProbe(config: TrainConfig, out: Output, signal: AbortSignal): Promise<number> {
  const result = await linearProbe({
    ...probeOptionsOf(config),
    signal,
    onProgress: (stage, done, total) => {
      if (!out.json && stage === 'features') out.progress(`features ${done}/${total}`);
    },
  });
  out.endProgress();
  out.result(
    { type: 'done', status: 'completed', linearProbe: true, ...result },
    () =>
      `Fitted the head on a frozen ${config.scale}x backbone in ${formatDuration(result.elapsedSec)}: ` +
      `${result.trainCount} training images, validation top-1 ${percent(result.valAccuracy)} on ${result.validationCount}; checkpoint ${result.checkpoint}`,
  );
  return 0;
}
