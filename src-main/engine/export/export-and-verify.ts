/**
 * The one export-and-verify path: writes a checkpoint as ONNX or as a TensorFlow.js graph model and,
 * when asked, runs the written files against the app's own tfjs model on seeded random inputs.
 * The CLI's `export` and the ML host's `exportModel` (the app's Export buttons) both call it.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { initBackend } from '../backend';
import { onnxRuntimeStatus } from '../onnx/onnx-runtime';
import { readManifest } from '../checkpoint/checkpoint';
import { exportOnnx } from './onnx';
import { exportTfjs } from './tfjs';
import { compareTfjsExportWithCheckpoint } from './tfjs-verify';
import { compareOnnxWithTfjs, type ExportCheck } from './verify';

export type ExportFormat = 'onnx' | 'tfjs';

/** Why a check did not run (ONNX Runtime missing); the export itself is written all the same. */
export type ExportCheckOutcome = ExportCheck | { skipped: string };

export interface VerifiedExport {
  format: ExportFormat;
  /** The checkpoint folder exported, and the epochs it had completed. */
  checkpoint: string;
  epoch: number;
  /** The folder holding the files: the `.onnx` file's folder, or the TensorFlow.js model folder. */
  dir: string;
  /** Every file written, in the order written (model.json last for tfjs), with its size. */
  files: { path: string; bytes: number }[];
  /** ONNX opset of the graph; null for tfjs. */
  opset: number | null;
  /** The comparison with the app's tfjs model; null when not asked for. */
  check: ExportCheckOutcome | null;
}

/**
 * Exports the newest checkpoint of `run` (or the checkpoint folder itself) and, with `check`,
 * verifies the export: an ONNX file through ONNX Runtime (skipped, with the reason, where it does
 * not load), a TensorFlow.js folder through `tf.loadGraphModel` as a web page would load it.
 * @param out the `.onnx` file, or the folder for tfjs
 * @throws UserError (from the exporters) for a run without a checkpoint or an unwritable destination
 */
export async function exportAndVerify(run: string, format: ExportFormat, out: string, options: { check: boolean }): Promise<VerifiedExport> {
  if (format === 'tfjs') {
    const written = await exportTfjs(run, out);
    const files = await Promise.all(written.files.map(async (file) => ({ path: file, bytes: (await stat(file)).size })));
    let check: ExportCheckOutcome | null = null;
    if (options.check) {
      await initBackend();
      check = await compareTfjsExportWithCheckpoint(written.checkpoint, written.dir);
    }
    const { epoch } = await readManifest(written.checkpoint);
    return { format, checkpoint: written.checkpoint, epoch, dir: written.dir, files, opset: null, check };
  }
  const written = await exportOnnx(run, out);
  let check: ExportCheckOutcome | null = null;
  if (options.check) {
    const status = onnxRuntimeStatus();
    if (status.available) {
      await initBackend();
      check = await compareOnnxWithTfjs(written.checkpoint, written.file);
    } else {
      check = { skipped: `ONNX Runtime is not available: ${status.reason}` };
    }
  }
  const { epoch } = await readManifest(written.checkpoint);
  return {
    format,
    checkpoint: written.checkpoint,
    epoch,
    dir: path.dirname(written.file),
    files: [{ path: written.file, bytes: written.bytes }],
    opset: written.opset,
    check,
  };
}
