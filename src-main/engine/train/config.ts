/** Training configuration defaults and the checks that turn bad options into one-line UserErrors. */
import { UserError } from '../errors';
import type { TrainConfig } from '../types';
import { FINE_TUNE_DEFAULTS } from '../step/fine-tune';
import { DEVICE_CHOICES } from '../../contract/devices';
import { defaultInputSize, TRAIN_CONFIG_DEFAULTS } from '../../contract/train-config-values';

/**
 * A full TrainConfig: the contract's defaults (contract/train-config-values.ts: the tutorial's
 * recipe on the cifar stem at 32x32; 224x224 for the ImageNet stem), with `overrides` on top.
 */
export function defaultTrainConfig(overrides: Partial<TrainConfig> & { dataset: string; outDir: string }): TrainConfig {
  return {
    ...TRAIN_CONFIG_DEFAULTS,
    inputSize: defaultInputSize(overrides.stem ?? TRAIN_CONFIG_DEFAULTS.stem),
    ...overrides,
  };
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new UserError(message, 'bad-option');
}

const isInt = (v: number, min: number) => Number.isInteger(v) && v >= min;
const isNum = (v: number) => typeof v === 'number' && Number.isFinite(v);

/** Throws a UserError naming the first option that cannot work. Model options are checked by the builder. */
export function validateTrainConfig(c: TrainConfig): void {
  check(typeof c.dataset === 'string' && c.dataset.length > 0, 'dataset must name a dataset folder');
  check(typeof c.outDir === 'string' && c.outDir.length > 0, 'outDir must name a run folder');
  check(isInt(c.epochs, 1), `epochs must be a whole number of at least 1, got ${c.epochs}`);
  check(isInt(c.batchSize, 1), `batchSize must be a whole number of at least 1, got ${c.batchSize}`);
  check(isNum(c.lr) && c.lr > 0, `lr must be a positive number, got ${c.lr}`);
  check(isNum(c.momentum) && c.momentum >= 0 && c.momentum < 1, `momentum must be at least 0 and below 1, got ${c.momentum}`);
  check(isNum(c.weightDecay) && c.weightDecay >= 0, `weightDecay must be 0 or more, got ${c.weightDecay}`);
  check(isNum(c.labelSmoothing) && c.labelSmoothing >= 0 && c.labelSmoothing < 1, `labelSmoothing must be at least 0 and below 1, got ${c.labelSmoothing}`);
  check(isNum(c.warmupEpochs) && c.warmupEpochs >= 0, `warmupEpochs must be 0 or more, got ${c.warmupEpochs}`);
  check(Number.isInteger(c.seed), `seed must be a whole number, got ${c.seed}`);
  check(c.limit === undefined || isInt(c.limit, 1), `limit must be a whole number of at least 1, got ${c.limit}`);
  check(isInt(c.keepCheckpoints, 1), `keepCheckpoints must be a whole number of at least 1, got ${c.keepCheckpoints}`);
  check(c.microBatchSize === 'auto' || isInt(c.microBatchSize, 1), `microBatchSize must be 'auto' or a whole number of at least 1, got ${c.microBatchSize}`);
  check(
    c.device === undefined || (DEVICE_CHOICES as readonly string[]).includes(c.device),
    `device must be one of ${DEVICE_CHOICES.join(', ')}, got "${c.device}"`,
  );
  const { headOnlyEpochs, backboneLrScale } = { ...FINE_TUNE_DEFAULTS, ...c };
  check(isInt(headOnlyEpochs, 0) && headOnlyEpochs <= c.epochs, `headOnlyEpochs must be a whole number from 0 to epochs (${c.epochs}), got ${headOnlyEpochs}`);
  check(isNum(backboneLrScale) && backboneLrScale > 0 && backboneLrScale <= 1, `backboneLrScale must be above 0 and at most 1, got ${backboneLrScale}`);
  check(
    c.headLrScale === undefined || (isNum(c.headLrScale) && c.headLrScale > 0 && c.headLrScale <= 1),
    `headLrScale must be above 0 and at most 1, got ${c.headLrScale}`,
  );
  // Both act on a backbone worth keeping: a random one has nothing to freeze or to spare.
  const fromModel = c.init !== undefined && c.init !== 'scratch';
  check(
    fromModel || headOnlyEpochs === 0,
    `headOnlyEpochs ${headOnlyEpochs} trains the head of a model started from another: set init (pretrained or a run folder), or leave it at 0`,
  );
  check(fromModel || !c.linearProbe, 'linearProbe fits a head on a trained backbone: set init (pretrained or a run folder)');
  check(
    fromModel || backboneLrScale === 1,
    `backboneLrScale ${backboneLrScale} slows the backbone of a model started from another: set init (pretrained or a run folder), or leave it at 1`,
  );
}
