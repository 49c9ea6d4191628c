import { z } from 'zod';
import { backendInfoSchema } from './schemas/app';
import { id, jobId } from './schemas/common';
import { auditStage } from './schemas/audit';
import { testTimeAugmentation } from './schemas/evaluation';
import { downloadPhase, scanPhase } from './schemas/datasets';
import { predictionItemSchema } from './schemas/predict';
import { batchMetricsSchema, epochMetricsSchema, runSchema } from './schemas/runs';

/** Every event the server pushes: name (`domain.noun`) -> payload schema. */
export const events = {
  'app.backend': z.object({ backend: backendInfoSchema }),

  'datasets.downloadProgress': z.object({
    jobId,
    received: z.number().min(0),
    total: z.number().min(0).nullable(),
    phase: downloadPhase,
    message: z.string().optional(),
    datasetId: id.optional(),
  }),
  /**
   * While `datasets.addFolder` looks for images (`phase` walk: `seen` entries, `found` images so
   * far) and then decodes them to find the broken ones (`phase` decode: `done` of `total`).
   */
  'datasets.scanProgress': z.object({
    path: z.string(),
    done: z.number().int().min(0),
    total: z.number().int().min(0),
    scanId: z.string().optional(),
    phase: scanPhase.optional(),
    seen: z.number().int().min(0).optional(),
    found: z.number().int().min(0).optional(),
  }),
  /** A dataset was added, removed or relabeled; clients refetch it. */
  'datasets.changed': z.object({ datasetId: id, removed: z.boolean().optional() }),

  'training.batch': batchMetricsSchema.extend({ runId: id }),
  'training.epoch': epochMetricsSchema.extend({ runId: id }),
  'training.status': z.object({ runId: id, run: runSchema }),

  'evaluation.progress': z.object({ runId: id, done: z.number().int().min(0), total: z.number().int().min(0) }),

  'predict.item': z.object({ jobId, item: predictionItemSchema }),
  'predict.progress': z.object({ jobId, done: z.number().int().min(0), total: z.number().int().min(0).nullable() }),
  'predict.done': z.object({
    jobId,
    predicted: z.number().int().min(0),
    skipped: z.number().int().min(0),
    /** The test-time augmentation the job ran with (also a column of its CSV export). */
    tta: testTimeAugmentation,
    error: z.string().optional(),
  }),

  'suggestions.progress': z.object({ jobId, datasetId: id, done: z.number().int().min(0), total: z.number().int().min(0) }),
  'suggestions.done': z.object({ jobId, datasetId: id, suggested: z.number().int().min(0), error: z.string().optional() }),

  'audit.progress': z.object({ jobId, datasetId: id, stage: auditStage, done: z.number().int().min(0), total: z.number().int().min(0) }),
  'audit.done': z.object({ jobId, datasetId: id, error: z.string().optional() }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type Payload<E extends EventName> = z.infer<Events[E]>;

export const eventNames = Object.keys(events) as EventName[];

export function isEventName(value: string): value is EventName {
  return Object.hasOwn(events, value);
}
