import { z } from 'zod';
import { id, timestamp } from './common';
import { trainConfigFieldsSchema, trainConfigSchema } from './train-config';

/** 'diverged': the training loss ran away and the run ended there (see `Run.divergence`). */
export const runStatus = z.enum(['queued', 'running', 'stopping', 'stopped', 'completed', 'failed', 'diverged']);
export type RunStatus = z.infer<typeof runStatus>;

/** The statuses a run ends in: it neither trains nor waits. Anything that waits for a run waits for these. */
export const ENDED_STATUSES: readonly RunStatus[] = ['completed', 'stopped', 'failed', 'diverged'];
export const hasEnded = (status: RunStatus): boolean => ENDED_STATUSES.includes(status);

/** Where and how a run diverged, with the likely remedy (engine/train/divergence.ts). */
export const divergenceSchema = z.object({
  epoch: z.number().int().min(1),
  step: z.number().int().min(1),
  /** The step's loss when non-finite (JSON: null), else the epoch's running mean. */
  loss: z.number().nullable(),
  threshold: z.number(),
  reason: z.string(),
  remedy: z.string(),
});
export type Divergence = z.infer<typeof divergenceSchema>;

export const epochMetricsSchema = z.object({
  epoch: z.number().int().min(0),
  epochs: z.number().int().min(0),
  trainLoss: z.number(),
  trainAccuracy: z.number(),
  valLoss: z.number(),
  valAccuracy: z.number(),
  valTop5: z.number(),
  lr: z.number(),
  elapsedSec: z.number(),
  etaSec: z.number(),
});
export type EpochMetrics = z.infer<typeof epochMetricsSchema>;

export const batchMetricsSchema = z.object({
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  stepsPerEpoch: z.number().int().min(0),
  loss: z.number(),
  accuracy: z.number(),
  lr: z.number(),
  imagesPerSec: z.number(),
});
export type BatchMetrics = z.infer<typeof batchMetricsSchema>;

export const runSchema = z.object({
  id,
  datasetId: id,
  name: z.string(),
  status: runStatus,
  /** The settings the run was asked for (training.start), as asked. */
  config: trainConfigFieldsSchema.loose(),
  /**
   * The engine's full config once the run started: every default filled, and the architecture of
   * the model it started from; null (or absent from an older server) until then.
   */
  resolvedConfig: trainConfigFieldsSchema.loose().nullable().optional(),
  error: z.string().nullable(),
  backend: z.string().nullable(),
  classes: z.array(z.string()),
  /** The classes whose head rows started from the source model's rows of that name (`init`); absent or [] when none did. */
  knownClasses: z.array(z.string()).optional(),
  epochsCompleted: z.number().int().min(0),
  epochs: z.number().int().min(0),
  bestValAccuracy: z.number().nullable(),
  startedAt: timestamp,
  endedAt: timestamp.nullable(),
  durationSec: z.number().min(0),
  checkpointDir: z.string().nullable(),
  /**
   * Place in line of a run waiting for another to finish (1 = starts next); null or absent when it
   * is not waiting. One run trains at a time: a second Train or Resume joins the line.
   */
  queuePosition: z.number().int().min(1).nullable().optional(),
  /** Set when the run ended as 'diverged': why, and what to change. */
  divergence: divergenceSchema.nullable().optional(),
});
export type Run = z.infer<typeof runSchema>;

/** `runs.get`: the sketch's `epochs: EpochMetrics[]` would clash with `Run.epochs` (a count), hence `epochMetrics`. */
export const runDetailSchema = runSchema.extend({
  epochMetrics: z.array(epochMetricsSchema),
  /**
   * The training steps the charts drew so far (thinned to at most a few thousand), so a reload or
   * a second tab redraws the whole curve. Kept while the server runs; absent for runs it did not train.
   */
  stepMetrics: z.array(batchMetricsSchema).optional(),
});
export type RunDetail = z.infer<typeof runDetailSchema>;

export const presetSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  config: trainConfigSchema,
});
export type Preset = z.infer<typeof presetSchema>;
