/**
 * The ML host's export operation: the engine's one export-and-verify path, described for the
 * services (which refuse an export whose check does not match).
 */
import { exportAndVerify } from '../engine/api';
import type { ExportedModel, Operations } from './protocol';

/**
 * Writes the export of a run's newest checkpoint and, with `check`, compares it with the app's model.
 * @throws UserError (from the engine) for a run without a checkpoint or an unwritable destination
 */
export async function exportModel(args: Operations['exportModel']['args']): Promise<ExportedModel> {
  const { checkpoint, epoch, dir, files, check } = await exportAndVerify(args.run, args.format, args.out, { check: args.check });
  return { checkpoint, epoch, dir, files, check };
}
