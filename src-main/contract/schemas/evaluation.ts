import { z } from 'zod';
import { id, timestamp } from './common';

export const classMetricsSchema = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().min(0),
});

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
