/**
 * The training config's choices and defaults, written once (issue 13: "one training config"): the
 * contract's schema (schemas/train-config.ts), the engine's types, model check and
 * `defaultTrainConfig` (which fills a run's missing settings), the CLI and the Training form
 * (stores/training-config.ts, with its few overrides for a person said there) take them from here.
 * Like devices.ts it imports nothing, zod included, so the engine can load it without the
 * contract's schemas. test/contract/train-config.test.ts fails on a copy or a disagreement.
 */

/** Width multipliers of ShuffleNetV1 (the paper's 0.25x to 2.0x). */
export const SCALES = [0.25, 0.5, 1, 1.5, 2] as const;
export type Scale = (typeof SCALES)[number];

/** Group counts of the grouped 1x1 convolutions (the paper's g = 1, 2, 3, 4, 8). */
export const GROUPS = [1, 2, 3, 4, 8] as const;
export type Groups = (typeof GROUPS)[number];

/** The tutorial's ImageNet stem (stride-2 conv and max pool), or the cifar stem for 32x32 images. */
export const STEMS = ['imagenet', 'cifar'] as const;
export type Stem = (typeof STEMS)[number];

/**
 * Every setting a run has without being told: the MindSpore tutorial's recipe (2.0x, groups 3,
 * batch 128, momentum 0.9, weight decay 4e-5, label smoothing 0.1, 4 warm-up epochs, peak lr
 * 0.05) on the cifar stem at 32x32, and no fine-tuning (0 head-only epochs, one rate for all).
 * The settings that are absent by default (limit, init, device, runtime, zeroInitBranches,
 * linearProbe) are not here: absent says what they do (every image, scratch, the ML host's device,
 * the environment's runtime, ordinary init, training).
 */
export const TRAIN_CONFIG_DEFAULTS = {
  scale: 2,
  groups: 3,
  stem: 'cifar',
  inputSize: 32,
  epochs: 30,
  batchSize: 128,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 4e-5,
  labelSmoothing: 0.1,
  warmupEpochs: 4,
  seed: 0,
  validationFraction: 0.2,
  keepCheckpoints: 3,
  microBatchSize: 'auto',
  augment: true,
  headOnlyEpochs: 0,
  backboneLrScale: 1,
} as const satisfies {
  scale: Scale;
  groups: Groups;
  stem: Stem;
  microBatchSize: number | 'auto';
  [setting: string]: number | string | boolean;
};

/** The tutorial's input side for the ImageNet stem. */
export const IMAGENET_INPUT_SIZE = 224;

/** The input side a run takes when it names none: 224 for the ImageNet stem, else the default 32. */
export function defaultInputSize(stem: Stem): number {
  return stem === 'imagenet' ? IMAGENET_INPUT_SIZE : TRAIN_CONFIG_DEFAULTS.inputSize;
}
