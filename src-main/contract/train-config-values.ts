/**
 * The training config's choices, written once (issue 13: "one training config"): the contract's
 * schema (schemas/train-config.ts), the engine's types and model check, the CLI and the Training
 * form take them from here. Like devices.ts it imports nothing, zod included, so the engine can
 * load it without the contract's schemas. test/contract/train-config.test.ts fails on a copy.
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
