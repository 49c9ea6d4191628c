import { z } from 'zod';
import { id, timestamp } from './common';

/** What a trained run can be exported as: one `.onnx` file, or a TensorFlow.js layers-model folder. */
export const modelExportFormat = z.enum(['onnx', 'tfjs']);
export type ModelExportFormat = z.infer<typeof modelExportFormat>;

export const exportedModelFileSchema = z.object({
  /** File name inside `dir`. */
  name: z.string(),
  path: z.string(),
  bytes: z.number().int().min(0),
  /** Where a browser downloads it (serve mode, default destination only); null otherwise. */
  downloadUrl: z.string().nullable(),
});
export type ExportedModelFile = z.infer<typeof exportedModelFileSchema>;

/** The ONNX file run next to the tfjs model it came from, on the same random inputs. */
export const exportCheckSchema = z.union([
  z.object({
    count: z.number().int().min(1),
    maxAbsError: z.number().min(0),
    /** maxAbsError / max |tfjs logit|; an export above 1e-4 is refused. */
    relativeError: z.number().min(0),
    top1Agreement: z.number().min(0).max(1),
  }),
  z.object({ skipped: z.string() }),
]);
export type ExportCheckView = z.infer<typeof exportCheckSchema>;

export const modelExportSchema = z.object({
  runId: id,
  format: modelExportFormat,
  /** The folder the files were written to. */
  dir: z.string(),
  /** The checkpoint exported: its folder and the epochs it had completed. */
  checkpoint: z.object({ dir: z.string(), epoch: z.number().int().min(0) }),
  files: z.array(exportedModelFileSchema).min(1),
  /** Every file in one `.tar.gz` (serve mode, TensorFlow.js, default destination); null otherwise. */
  archiveUrl: z.string().nullable(),
  /** The comparison of the written files with the app's TensorFlow.js model, or why it was skipped (ONNX Runtime missing). */
  check: exportCheckSchema.nullable(),
  createdAt: timestamp,
});
export type ModelExport = z.infer<typeof modelExportSchema>;
