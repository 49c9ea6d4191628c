import { z } from 'zod';
import { id, probability } from './common';

/** Which image to explain: a dataset image, a predicted file, or an evaluation sample. */
export const explainTarget = z.enum(['image', 'predict', 'sample']);

/** Grad-CAM of one image: where the model looked for `className`, a coarse grid of 0..1 values. */
export const heatmapSchema = z.object({
  runId: id,
  classIndex: z.number().int().min(0),
  className: z.string(),
  probability,
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  /** Row-major, `width * height` values in 0..1 (1 = strongest evidence). */
  values: z.array(z.number()),
  /** The map covers the picture's centre square ('cover') or all of it, stretched to a square ('fill'). */
  fit: z.enum(['cover', 'fill']),
});
export type Heatmap = z.infer<typeof heatmapSchema>;
