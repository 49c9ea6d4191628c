import { z } from 'zod';
import { id, timestamp } from './common';

/** An image an audit names: its row when the dataset has one (a file the scan skipped may not). */
const auditImage = z.object({ imageId: id.nullable(), path: z.string(), thumbUrl: z.string().nullable() });
export type AuditImage = z.infer<typeof auditImage>;

export const auditStage = z.enum(['preparing', 'hashing', 'features', 'cross-validation']);

export const auditWarningKind = z.enum(['imbalance', 'duplicates', 'train-validation', 'small', 'unreadable', 'mislabeled']);

/** A dataset's health as its last audit saw it: likely label errors, duplicates, and warnings with the images behind them. */
export const auditSchema = z.object({
  datasetId: id,
  createdAt: timestamp,
  /** The model whose features judged the images ("the shipped pretrained model", or a run). */
  model: z.string(),
  /** The labels changed since this audit: its lists may be out of date. */
  labelsChangedSince: z.number().int().min(0),
  /**
   * Every label issue the audit found, most suspicious first; images kept, relabeled or excluded
   * since the audit are left out. `flagged` ones are very likely errors (the warning counts those).
   */
  likelyMislabeled: z.array(
    auditImage.extend({
      labelClassId: id,
      suggestedClassId: id,
      /** How suspicious, 0..1: 1 - p(label) from a model that did not train on the image. */
      score: z.number(),
      flagged: z.boolean(),
      labelProbability: z.number(),
      suggestedProbability: z.number(),
    }),
  ),
  duplicateGroups: z.array(
    z.object({
      kind: z.enum(['exact', 'near']),
      scope: z.string(),
      images: z.array(auditImage),
    }),
  ),
  classCounts: z.record(z.string(), z.number().int().min(0)),
  warnings: z.array(z.object({ kind: auditWarningKind, message: z.string(), images: z.array(auditImage) })),
  /** How the lists were made, in words, for the person who wonders. */
  method: z.object({ labelErrors: z.string(), duplicates: z.string(), folds: z.number().int() }),
});
export type Audit = z.infer<typeof auditSchema>;
