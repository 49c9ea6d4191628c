import { z } from 'zod';
import { id, timestamp } from './common';
import { suggestionSchema } from './suggestions';

export const datasetKind = z.enum(['cifar10', 'folder']);

export const classSchema = z.object({
  id,
  name: z.string(),
  /** Labeled images of this class (all splits). */
  count: z.number().int().min(0),
});
export type DatasetClass = z.infer<typeof classSchema>;

export const skippedFileSchema = z.object({
  path: z.string(),
  /** In plain words ("damaged or incomplete JPEG file"). */
  reason: z.string(),
  /** What the decoder or the OS said, word for word ("VipsJpeg: premature end of JPEG image"). */
  detail: z.string().optional(),
  /** `path` relative to the dataset's root, with '/' separators: what a person tells files apart by. */
  relativePath: z.string().optional(),
});
export type SkippedFileView = z.infer<typeof skippedFileSchema>;

/** A scan in progress: `walk` while looking for image files, `decode` while decoding them. */
export const scanPhase = z.enum(['walk', 'decode']);

/** What `datasets.inspectFolder` sees in a folder's top level, before anything is added. */
export const folderInspectionSchema = z.object({
  /** The folder, resolved. */
  path: z.string(),
  /** Sub-folders (each would become a class). */
  subfolders: z.number().int().min(0),
  /** Image files directly in the folder (they would stay unlabeled). */
  looseImages: z.number().int().min(0),
  /** The parent folder, null at the file system's root. */
  parent: z.string().nullable(),
  /** A dataset already added from this folder. */
  existing: z.object({ id, name: z.string() }).nullable(),
});
export type FolderInspection = z.infer<typeof folderInspectionSchema>;

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
  /** The model's guess, for an unlabeled image that has one. */
  suggestion: suggestionSchema.optional(),
  /** Left out of training (images.setExcluded). */
  excluded: z.boolean().optional(),
});
export type DatasetImage = z.infer<typeof imageSchema>;

export const downloadPhase = z.enum(['download', 'verify', 'extract', 'done', 'error']);
