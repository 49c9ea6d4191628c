import type { z } from 'zod';
import { trainConfigInputSchema, type TrainConfigValues } from '../../src-main/contract/schemas/train-config';
import { TRAIN_CONFIG_DEFAULTS } from '../../src-main/contract/train-config-values';
import type { Preset, Run, TrainConfigInput } from '../api/types';

/** The settings the form shows, each one a field; the rest (checkpoints kept, micro-batch size, runtime) come from a preset or the engine. */
type FormField =
  | 'scale'
  | 'groups'
  | 'stem'
  | 'inputSize'
  | 'epochs'
  | 'batchSize'
  | 'lr'
  | 'warmupEpochs'
  | 'labelSmoothing'
  | 'weightDecay'
  | 'momentum'
  | 'seed'
  | 'limit'
  | 'validationFraction'
  | 'augment'
  | 'init'
  | 'headOnlyEpochs'
  | 'backboneLrScale'
  | 'linearProbe'
  | 'device';

/**
 * Every field the form edits, typed by the contract's schema (one training config, issue 13), each
 * one present. Two values mean "absent" in what goes out: `limit` 0 is "use all images", and
 * `device` 'auto' is no device at all, so the ML host's own choice (SHUFFLENET_DEVICE, else the best
 * device: what the top bar names) decides.
 */
export type TrainForm = Required<Pick<TrainConfigValues, FormField>>;

/** What the two fine-tuning settings are when they do nothing (and what scratch always sends): the contract's defaults. */
const NO_FINE_TUNING = { headOnlyEpochs: TRAIN_CONFIG_DEFAULTS.headOnlyEpochs, backboneLrScale: TRAIN_CONFIG_DEFAULTS.backboneLrScale } as const;

/** The architecture of the model `--init pretrained` starts from (resources/pretrained/). */
export const PRETRAINED_ARCH = { scale: 1, groups: 3, stem: 'cifar' } as const;

/**
 * The form before the presets arrive, and the value of any setting a preset's or a run's config
 * leaves out. Both are the engine's defaults (contract/train-config-values.ts), so a config without
 * a setting shows what the engine trains with. (Until 2026-12-03 the form had its own list: 1.0x,
 * 10 epochs, 1 warm-up epoch, weight decay 5e-4, seed 42; no person saw it, since the form takes a
 * preset or the last run's settings as soon as they load.) The settings absent by default take the
 * form's spelling of "absent": every image (limit 0), scratch, training (no quick fit), Auto.
 */
export const DEFAULT_FORM: TrainForm = {
  scale: TRAIN_CONFIG_DEFAULTS.scale,
  groups: TRAIN_CONFIG_DEFAULTS.groups,
  stem: TRAIN_CONFIG_DEFAULTS.stem,
  inputSize: TRAIN_CONFIG_DEFAULTS.inputSize,
  epochs: TRAIN_CONFIG_DEFAULTS.epochs,
  batchSize: TRAIN_CONFIG_DEFAULTS.batchSize,
  lr: TRAIN_CONFIG_DEFAULTS.lr,
  warmupEpochs: TRAIN_CONFIG_DEFAULTS.warmupEpochs,
  labelSmoothing: TRAIN_CONFIG_DEFAULTS.labelSmoothing,
  weightDecay: TRAIN_CONFIG_DEFAULTS.weightDecay,
  momentum: TRAIN_CONFIG_DEFAULTS.momentum,
  seed: TRAIN_CONFIG_DEFAULTS.seed,
  validationFraction: TRAIN_CONFIG_DEFAULTS.validationFraction,
  augment: TRAIN_CONFIG_DEFAULTS.augment,
  ...NO_FINE_TUNING,
  limit: 0,
  init: 'scratch',
  linearProbe: false,
  device: 'auto',
};

/** Whether the form still equals a preset's settings; the device is the machine's, not the recipe's, so it does not count. */
export function matchesPreset(form: TrainForm, preset: Preset): boolean {
  const presetForm = formFromConfig(preset.config);
  return (Object.keys(presetForm) as (keyof TrainForm)[]).every((k) => k === 'device' || presetForm[k] === form[k]);
}

/** What a run trains with: the engine's resolved config once it started (defaults filled, a source model's architecture), else what it asked for. */
export function runSettings(run: Pick<Run, 'config' | 'resolvedConfig'>): Run['config'] {
  return run.resolvedConfig ?? run.config;
}

export function formFromConfig(config: TrainConfigInput, base: TrainForm = DEFAULT_FORM): TrainForm {
  const form = { ...base };
  for (const key of Object.keys(base) as (keyof TrainForm)[]) {
    const value = config[key as keyof TrainConfigInput];
    if (value !== undefined && value !== null) (form as Record<string, unknown>)[key] = value;
  }
  if (config.limit === undefined) form.limit = 0;
  return form;
}

/** A message for each form field whose value the contract refuses, by field. */
export type FieldErrors = Partial<Record<keyof TrainForm, string>>;

/** A zod issue in words for a person, beside the field it names ("Must be below 1."). */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'Must be a whole number.' : 'Enter a number.';
    case 'too_small':
      if (issue.message && !issue.message.startsWith('Too small')) return `${issue.message}.`;
      return issue.inclusive ? `Must be at least ${Number(issue.minimum)}.` : `Must be greater than ${Number(issue.minimum)}.`;
    case 'too_big':
      return issue.inclusive ? `Must be at most ${Number(issue.maximum)}.` : `Must be below ${Number(issue.maximum)}.`;
    default:
      return `${issue.message}.`;
  }
}

/**
 * What training.start receives, checked with the contract's own schema (the service checks the
 * same), so the form shows a mistake beside its field before anything runs.
 * `base` carries preset values the form does not show (checkpoints kept, micro-batch size).
 */
export function configFromForm(form: TrainForm, base: TrainConfigInput = {}): { config: TrainConfigInput; errors: FieldErrors } {
  // The form hides the fine-tuning settings for scratch and for the quick fit: whatever they held then has no say.
  const { limit, device, ...rest } =
    form.init === 'scratch' ? { ...form, ...NO_FINE_TUNING, linearProbe: false } : form.linearProbe ? { ...form, ...NO_FINE_TUNING } : form;
  // The form owns the device: a followed run's device in `base` has no say once the form says Auto.
  const { limit: _baseLimit, device: _baseDevice, ...kept } = base;
  const chosen = device === 'auto' ? {} : { device };
  // 0 means every image; anything else, empty or negative included, is for the schema to judge.
  const config: TrainConfigInput = limit === 0 ? { ...kept, ...rest, ...chosen } : { ...kept, ...rest, ...chosen, limit };
  const errors: FieldErrors = {};
  const parsed = trainConfigInputSchema.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as keyof TrainForm;
      if (field in form) errors[field] ??= describeIssue(issue);
    }
  }
  return { config, errors };
}
