import { z } from 'zod';
import { TEST_TIME_AUGMENTATIONS } from '../test-time-augmentation';
import { id, timestamp } from './common';

export const classMetricsSchema = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().min(0),
});

/** Which checkpoint of a run to evaluate: its best epoch by validation accuracy, or its newest. */
export const checkpointKind = z.enum(['best', 'last']);
export type CheckpointKind = z.infer<typeof checkpointKind>;

/** Test-time augmentation: one of TEST_TIME_AUGMENTATIONS (contract/test-time-augmentation.ts). */
export const testTimeAugmentation = z.enum(TEST_TIME_AUGMENTATIONS);

export const evaluationSchema = z.object({
  id,
  runId: id,
  datasetId: id,
  split: z.string(),
  top1: z.number(),
  top5: z.number(),
  loss: z.number(),
  count: z.number().int().min(0),
  classes: z.array(z.string()),
  /** `confusion[true][predicted]` counts. */
  confusion: z.array(z.array(z.number().int().min(0))),
  perClass: z.array(classMetricsSchema),
  /**
   * The checkpoint measured: the run's best epoch (the default, the one the run list's "best
   * validation accuracy" comes from) or its newest; null for evaluations made before this was recorded.
   */
  checkpoint: z
    .object({ kind: checkpointKind, epoch: z.number().int().min(0) })
    .nullable()
    .optional(),
  /** The test-time augmentation that ran; absent means 'none'. */
  tta: testTimeAugmentation.optional(),
  createdAt: timestamp,
});
export type Evaluation = z.infer<typeof evaluationSchema>;

export const evaluationSampleSchema = z.object({
  sampleId: id,
  /** Path of the image file, or `<batch file>#<record>` for CIFAR-10. */
  path: z.string(),
  thumbUrl: z.string(),
  trueLabel: z.string(),
  predictedLabel: z.string(),
  probability: z.number(),
});
export type EvaluationSample = z.infer<typeof evaluationSampleSchema>;
