/**
 * The ML host's export operation: the engine's ONNX or TensorFlow.js export of a run's newest
 * checkpoint, plus (ONNX) the same comparison with tfjs that `export --check` prints.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { initBackend } from '../engine/backend';
import { exportOnnx } from '../engine/export/onnx';
import { exportTfjs } from '../engine/export/tfjs';
import { compareOnnxWithTfjs } from '../engine/export/verify';
import { onnxRuntimeStatus } from '../engine/runtime/onnx-runtime';
import { readManifest } from '../engine/train/checkpoint';
import type { ExportedModel, Operations } from './protocol';

async function withSizes(files: string[]): Promise<ExportedModel['files']> {
  return Promise.all(files.map(async (file) => ({ path: file, bytes: (await stat(file)).size })));
}

/**
 * Writes the export and describes it.
 * @throws UserError (from the engine) for a run without a checkpoint or an unwritable destination
 */
export async function exportModel(args: Operations['exportModel']['args']): Promise<ExportedModel> {
  if (args.format === 'tfjs') {
    const written = await exportTfjs(args.run, args.out);
    const { epoch } = await readManifest(written.checkpoint);
    return { checkpoint: written.checkpoint, epoch, dir: written.dir, files: await withSizes(written.files), check: null };
  }
  const written = await exportOnnx(args.run, args.out);
  const { epoch } = await readManifest(written.checkpoint);
  let check: ExportedModel['check'] = null;
  if (args.check) {
    const status = onnxRuntimeStatus();
    if (status.available) {
      await initBackend();
      check = await compareOnnxWithTfjs(written.checkpoint, written.file);
    } else {
      check = { skipped: `ONNX Runtime is not available: ${status.reason}` };
    }
  }
  return { checkpoint: written.checkpoint, epoch, dir: path.dirname(written.file), files: [{ path: written.file, bytes: written.bytes }], check };
}
