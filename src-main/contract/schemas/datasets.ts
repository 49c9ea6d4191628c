import { z } from 'zod';
import { id, timestamp } from './common';

export const datasetKind = z.enum(['cifar10', 'folder']);

export const classSchema = z.object({
  id,
  name: z.string(),
  /** Labeled images of this class (all splits). */
  count: z.number().int().min(0),
});
export type DatasetClass = z.infer<typeof classSchema>;

export const skippedFileSchema = z.object({ path: z.string(), reason: z.string() });

export const datasetSchema = z.object({
  id,
  name: z.string(),
  kind: datasetKind,
  root: z.string(),
  /** In training order: the engine's class index is the position in this array. */
  classes: z.array(classSchema),
  imageCount: z.number().int().min(0),
  unlabeledCount: z.number().int().min(0),
  skipped: z.array(skippedFileSchema),
  /** Image counts per split (`train`/`test` for CIFAR; folders have no fixed split). */
  splits: z.record(z.string(), z.number().int().min(0)),
  createdAt: timestamp,
});
export type Dataset = z.infer<typeof datasetSchema>;

export const imageSchema = z.object({
  id,
  datasetId: id,
  /** Absolute file path, or `<batch file>#<record>` for CIFAR-10 records. */
  path: z.string(),
  classId: id.nullable(),
  split: z.string().optional(),
  thumbUrl: z.string(),
  imageUrl: z.string(),
});
export type DatasetImage = z.infer<typeof imageSchema>;

export const downloadPhase = z.enum(['download', 'verify', 'extract', 'done', 'error']);
