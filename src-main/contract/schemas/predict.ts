import { z } from 'zod';
import { id, probability } from './common';

export const predictionTopSchema = z.object({ label: z.string(), probability });

export const predictionItemSchema = z.union([
  z.object({ id, path: z.string(), thumbUrl: z.string(), top: z.array(predictionTopSchema) }),
  z.object({ id, path: z.string(), skipped: z.string() }),
]);
export type PredictionItemView = z.infer<typeof predictionItemSchema>;

/** What `predict.accept` did: `acceptId` names it for `predict.undoAccept`; the dataset is named for the toast. */
export const predictAcceptResultSchema = z.object({
  added: z.number().int().min(0),
  acceptId: z.string().nullable(),
  datasetId: id,
  datasetName: z.string(),
});
export type PredictAcceptResult = z.infer<typeof predictAcceptResultSchema>;

export const predictUndoAcceptResultSchema = z.object({
  /** Images put back as they were: new ones removed, labeled ones given their old label. */
  restored: z.number().int().min(0),
  datasetId: id,
  datasetName: z.string(),
});
