import { z } from 'zod';

/** Mirrors the engine's TrainConfig minus `dataset` and `outDir`, which the app decides. */
export const trainConfigSchema = z.object({
  scale: z.union([z.literal(0.25), z.literal(0.5), z.literal(1), z.literal(1.5), z.literal(2)]),
  groups: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(8)]),
  stem: z.enum(['imagenet', 'cifar']),
  inputSize: z.number().int().min(8).max(512),
  epochs: z.number().int().min(1).max(10_000),
  batchSize: z.number().int().min(1).max(4096),
  lr: z.number().positive().max(10),
  momentum: z.number().min(0).lt(1),
  weightDecay: z.number().min(0).max(1),
  labelSmoothing: z.number().min(0).max(0.99),
  warmupEpochs: z.number().min(0),
  seed: z.number().int(),
  limit: z.number().int().positive().optional(),
  validationFraction: z.number().min(0).max(0.9),
  keepCheckpoints: z.number().int().min(1).max(1000),
  microBatchSize: z.union([z.number().int().positive(), z.literal('auto')]),
  augment: z.boolean(),
  zeroInitBranches: z.boolean().optional(),
  runtime: z.enum(['auto', 'onnx', 'tfjs']).optional(),
});
export type TrainConfigValues = z.infer<typeof trainConfigSchema>;

/** What a client sends: any subset; the ML host fills the rest with the engine's defaults. */
export const trainConfigInputSchema = trainConfigSchema.partial().strict();
export type TrainConfigInput = z.infer<typeof trainConfigInputSchema>;
