import { z } from 'zod';
import { id, jobId, probability, timestamp } from './common';

/** The newest suggestion for an unlabeled image: the class the model guessed, and how sure it was. */
export const suggestionSchema = z.object({
  classId: id,
  /** The top class's probability. */
  confidence: probability,
  /** Top-1 minus top-2 probability: small means unsure ("least certain first" sorts by it). */
  margin: probability,
});
export type Suggestion = z.infer<typeof suggestionSchema>;

/** How the image grid is ordered: file order, a fixed shuffle, or the model's least certain first. */
export const imageOrder = z.enum(['file', 'random', 'least-certain']);
export type ImageOrder = z.infer<typeof imageOrder>;

const runRef = z.object({ id, name: z.string(), startedAt: timestamp });

/** Where a dataset's suggestions stand: which run made them, and whether the labels moved on since. */
export const suggestionsStatusSchema = z.object({
  datasetId: id,
  /** The run whose model made the stored suggestions, null when there are none. */
  run: runRef.nullable(),
  /** Unlabeled images that have a suggestion. */
  count: z.number().int().min(0),
  computedAt: timestamp.nullable(),
  /** Images labeled, relabeled or unlabeled since that run started ("trained before 37 labels changed"). */
  labelsChangedSince: z.number().int().min(0).nullable(),
  /** The newest run of this dataset with a checkpoint: what `suggestions.start` uses when it names no run (the Labeling view names the run picked beside "Suggest labels"). */
  newestRun: runRef.nullable(),
  /** A suggestion job in progress. */
  jobId: jobId.nullable(),
});
export type SuggestionsStatus = z.infer<typeof suggestionsStatusSchema>;
