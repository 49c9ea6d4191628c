import { z } from 'zod';
import { id, probability } from './common';

export const predictionTopSchema = z.object({ label: z.string(), probability });

export const predictionItemSchema = z.union([
  z.object({ id, path: z.string(), thumbUrl: z.string(), top: z.array(predictionTopSchema) }),
  z.object({ id, path: z.string(), skipped: z.string() }),
]);
export type PredictionItemView = z.infer<typeof predictionItemSchema>;
