import { z } from 'zod';
import { DEVICE_CHOICES } from '../devices';
import { GROUPS, SCALES, STEMS, TRAIN_CONFIG_DEFAULTS } from '../train-config-values';

/** Largest batch the app accepts: past it one step would not fit a desktop's memory at any scale. */
export const MAX_BATCH_SIZE = 1024;
/** Smallest input the ImageNet stem's five stride-2 stages (stride-2 conv, max pool, three stages) reduce to one pixel. */
export const MIN_IMAGENET_INPUT = 32;

/**
 * The engine's TrainConfig minus `dataset` and `outDir`, which the app decides, with `init` a run
 * id instead of a folder (test/contract/train-config.test.ts checks the two types agree). The one
 * place the app's rules for settings live: the service checks requests with it and the training
 * form shows its issues beside each field. Stricter than the engine where a value trains badly
 * (label smoothing above 0.5 leaves the true class a minority share).
 */
export const trainConfigSchema = z.object({
  scale: z.literal(SCALES),
  groups: z.literal(GROUPS),
  stem: z.enum(STEMS),
  inputSize: z.number().int().min(8).max(512),
  epochs: z.number().int().min(1).max(10_000),
  batchSize: z.number().int().min(1).max(MAX_BATCH_SIZE),
  lr: z.number().positive().max(10),
  momentum: z.number().min(0).lt(1),
  weightDecay: z.number().min(0).max(1),
  labelSmoothing: z.number().min(0).max(0.5),
  warmupEpochs: z.number().min(0),
  seed: z.number().int(),
  limit: z.number().int().positive().optional(),
  validationFraction: z.number().min(0).max(0.9),
  keepCheckpoints: z.number().int().min(1).max(1000),
  microBatchSize: z.union([z.number().int().positive(), z.literal('auto')]),
  augment: z.boolean(),
  zeroInitBranches: z.boolean().optional(),
  runtime: z.enum(['auto', 'onnx', 'tfjs']).optional(),
  /**
   * What ONNX Runtime trains on (engine/runtime/devices.ts): 'auto' the best device found, never a
   * software adapter; 'cpu', 'webgpu' or 'cuda' that device or an error. Absent: the ML host's
   * SHUFFLENET_DEVICE, else 'auto'. A resume may name another device (the checkpoint is the same).
   */
  device: z.enum(DEVICE_CHOICES).optional(),
  /** Where the weights start: scratch, the shipped CIFAR-10 model, or an earlier run of this app (its id). */
  init: z.union([z.enum(['scratch', 'pretrained']), z.number().int().positive()]).optional(),
  /**
   * Fine-tuning a model started from (engine/step/fine-tune.ts): the first epochs that train only
   * the classifier head over the frozen backbone (0 by default), and the backbone's learning rate as
   * a share of the head's (1 by default). Only with an `init` other than scratch.
   */
  headOnlyEpochs: z.number().int().min(0).max(10_000).optional(),
  backboneLrScale: z.number().gt(0).max(1).optional(),
  /** The classifier head's rate as a share of `lr` (engine/types.ts says why a scratch run may want it); absent is 1. */
  headLrScale: z.number().gt(0).max(1).optional(),
  /** The quick path: fit only the head on the features of `init`'s frozen backbone, in seconds (no epochs of training). */
  linearProbe: z.boolean().optional(),
});
export type TrainConfigValues = z.infer<typeof trainConfigSchema>;

/** Any subset of the settings, without the rules that tie two of them together. */
export const trainConfigFieldsSchema = trainConfigSchema.partial();

/** What a client sends: any subset; the ML host fills the rest with the engine's defaults. */
export const trainConfigInputSchema = trainConfigFieldsSchema.strict().check((ctx) => {
  const { stem, inputSize, init, epochs, headOnlyEpochs, backboneLrScale, linearProbe } = ctx.value;
  // Without a stem the default one trains (the cifar stem, which takes any input); without an input size the stem's default.
  if ((stem ?? TRAIN_CONFIG_DEFAULTS.stem) === 'imagenet' && inputSize !== undefined && inputSize < MIN_IMAGENET_INPUT) {
    ctx.issues.push({
      code: 'too_small',
      origin: 'number',
      minimum: MIN_IMAGENET_INPUT,
      inclusive: true,
      path: ['inputSize'],
      input: inputSize,
      message: `The ImageNet stem needs an input of at least ${MIN_IMAGENET_INPUT} px`,
    });
  }
  // The engine's rules (engine/train/config.ts), said for the form: scratch (the default) has no backbone to freeze or slow.
  const fromModel = init !== undefined && init !== 'scratch';
  if (headOnlyEpochs !== undefined && headOnlyEpochs > 0 && !fromModel) {
    ctx.issues.push({ code: 'custom', path: ['headOnlyEpochs'], input: headOnlyEpochs, message: 'Head-only epochs need a model to start from, not scratch' });
  }
  if (headOnlyEpochs !== undefined && epochs !== undefined && headOnlyEpochs > epochs) {
    ctx.issues.push({
      code: 'custom',
      path: ['headOnlyEpochs'],
      input: headOnlyEpochs,
      message: `Head-only epochs can be at most the ${epochs} epochs of the run`,
    });
  }
  if (linearProbe && !fromModel) {
    ctx.issues.push({
      code: 'custom',
      path: ['linearProbe'],
      input: linearProbe,
      message: 'The quick fit needs a model to start from (pretrained or an earlier run), not scratch',
    });
  }
  if (backboneLrScale !== undefined && backboneLrScale !== 1 && !fromModel) {
    ctx.issues.push({
      code: 'custom',
      path: ['backboneLrScale'],
      input: backboneLrScale,
      message: 'A backbone rate scale needs a model to start from, not scratch',
    });
  }
});
export type TrainConfigInput = z.infer<typeof trainConfigInputSchema>;
