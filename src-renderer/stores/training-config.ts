import type { TrainConfigInput } from '../api/types';

/** Every field the form edits; `limit` 0 means "use all images". */
export interface TrainForm {
  scale: 0.25 | 0.5 | 1 | 1.5 | 2;
  groups: 1 | 2 | 3 | 4 | 8;
  stem: 'imagenet' | 'cifar';
  inputSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  warmupEpochs: number;
  labelSmoothing: number;
  weightDecay: number;
  momentum: number;
  seed: number;
  limit: number;
  /** Fraction of a folder dataset held out for validation. */
  validationFraction: number;
  augment: boolean;
}

export const DEFAULT_FORM: TrainForm = {
  scale: 1,
  groups: 3,
  stem: 'cifar',
  inputSize: 32,
  epochs: 10,
  batchSize: 128,
  lr: 0.05,
  warmupEpochs: 1,
  labelSmoothing: 0.1,
  weightDecay: 0.0005,
  momentum: 0.9,
  seed: 42,
  limit: 0,
  validationFraction: 0.2,
  augment: true,
};

export function formFromConfig(config: TrainConfigInput, base: TrainForm = DEFAULT_FORM): TrainForm {
  const form = { ...base };
  for (const key of Object.keys(base) as (keyof TrainForm)[]) {
    const value = config[key as keyof TrainConfigInput];
    if (value !== undefined && value !== null) (form as Record<string, unknown>)[key] = value;
  }
  if (config.limit === undefined) form.limit = 0;
  return form;
}

/**
 * What training.start receives: numbers checked here so the person sees a mistake before a run fails.
 * `base` carries preset values the form does not show (checkpoints kept, micro-batch size).
 */
export function configFromForm(form: TrainForm, base: TrainConfigInput = {}): { config: TrainConfigInput; problems: string[] } {
  const problems: string[] = [];
  const positiveInt = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a whole number of at least 1.`);
  };
  const nonNegative = (name: string, value: number) => {
    if (!Number.isFinite(value) || value < 0) problems.push(`${name} must be zero or more.`);
  };
  positiveInt('Epochs', form.epochs);
  positiveInt('Batch size', form.batchSize);
  positiveInt('Input size', form.inputSize);
  if (!Number.isFinite(form.lr) || form.lr <= 0) problems.push('Learning rate must be greater than zero.');
  nonNegative('Warm-up epochs', form.warmupEpochs);
  nonNegative('Weight decay', form.weightDecay);
  nonNegative('Momentum', form.momentum);
  if (!Number.isFinite(form.labelSmoothing) || form.labelSmoothing < 0 || form.labelSmoothing >= 1) {
    problems.push('Label smoothing must be between 0 and 1.');
  }
  if (!Number.isInteger(form.seed)) problems.push('Seed must be a whole number.');
  nonNegative('Limit', form.limit);
  if (!Number.isFinite(form.validationFraction) || form.validationFraction < 0 || form.validationFraction > 0.9) {
    problems.push('Validation fraction must be between 0 and 0.9.');
  }
  const { limit, ...rest } = form;
  const { limit: _baseLimit, ...kept } = base;
  const config: TrainConfigInput = limit > 0 ? { ...kept, ...rest, limit: Math.floor(limit) } : { ...kept, ...rest };
  return { config, problems };
}
