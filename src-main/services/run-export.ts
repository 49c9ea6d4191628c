import { lstat, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { ApiError, type Handlers, type ModelExport, type ModelExportFormat } from '../contract';
import type { ExportedModel } from '../ml-host/protocol';
import type { RunRow } from '../storage';
import { requireRun, type ServiceContext } from './context';

/** An export whose logits differ more than this from the app's tfjs model (relative to the largest logit) is not kept. */
export const MAX_RELATIVE_ERROR = 1e-4;
export const EXPORTS_DIR = 'exports';
export const MODEL_EXPORT_FORMATS: readonly ModelExportFormat[] = ['onnx', 'tfjs'];

/** File names the download route accepts: one plain name, no separators, no leading dot. */
const DOWNLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Builds the addresses a browser downloads exports from; only serve mode has them. */
export interface ExportUrls {
  file(runId: number, format: ModelExportFormat, name: string): string;
  archive(runId: number, format: ModelExportFormat): string;
}

/** `/api/exports/3/onnx/first-try.onnx` and `/api/exports/3/tfjs.tar.gz`, with the access token when one is given. */
export function httpExportUrls(token?: string): ExportUrls {
  const qs = token ? `?${new URLSearchParams({ token }).toString()}` : '';
  return {
    file: (runId, format, name) => `/api/exports/${runId}/${format}/${encodeURIComponent(name)}${qs}`,
    archive: (runId, format) => `/api/exports/${runId}/${format}.tar.gz${qs}`,
  };
}

export function isModelExportFormat(value: string): value is ModelExportFormat {
  return (MODEL_EXPORT_FORMATS as readonly string[]).includes(value);
}

/** A run's name as a file name: "Pets #2" -> "pets-2"; `run-<id>` when nothing is left. */
export function exportBaseName(run: Pick<RunRow, 'id' | 'name'>): string {
  const slug = run.name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || `run-${run.id}`;
}

/** A file of a run's default export folder, for the download route. */
export interface ExportDownload {
  path: string;
  name: string;
  bytes: number;
}

/** Every file of a run's default export folder, for one archive. */
export interface ExportArchive {
  dir: string;
  names: string[];
  /** `<run>-<format>`: the archive's file name without `.tar.gz`, and the folder its entries sit in. */
  baseName: string;
}

/**
 * Exports of trained runs, written by the ML host with the engine's own exporters from the run's
 * newest checkpoint. Downloads are looked up by run id and file name in the run's default export
 * folder, so a client never names a path on disk.
 */
export class RunExportService {
  private readonly busy = new Set<string>();

  constructor(
    private readonly context: ServiceContext,
    private readonly training: { readonly activeRunIds: number[] },
    private readonly urls: ExportUrls | null,
  ) {}

  handlers(): Pick<Handlers, 'runs.export'> {
    return { 'runs.export': ({ runId, format, destDir }) => this.exportRun(runId, format, destDir) };
  }

  /** `<run folder>/exports/<format>`: where an export goes when the person names no folder. */
  defaultDir(run: Pick<RunRow, 'runDir'>, format: ModelExportFormat): string {
    return join(run.runDir, EXPORTS_DIR, format);
  }

  /**
   * Writes the export of a run's newest checkpoint: `<name>.onnx`, or a `model.json` folder for
   * tfjs. Without `destDir` it replaces the run's previous export of that format.
   * @throws ApiError user-error for a run without a checkpoint or an export that does not match the app's model;
   *   conflict while the run trains or the same export is being written
   */
  async exportRun(runId: number, format: ModelExportFormat, destDir?: string): Promise<ModelExport> {
    const run = requireRun(this.context, runId);
    if (this.training.activeRunIds.includes(runId)) {
      throw new ApiError('conflict', `Run ${runId} is training; export it once it stops or finishes`);
    }
    if (!run.checkpointDir || !run.runDir) {
      throw new ApiError('user-error', `Run ${runId} has no checkpoint yet; train at least one epoch first`);
    }
    const dir = destDir ? resolve(destDir) : this.defaultDir(run, format);
    const base = exportBaseName(run);
    const out = format === 'onnx' ? join(dir, `${base}.onnx`) : destDir ? join(dir, `${base}-tfjs`) : dir;
    const key = `${format}\u0000${out}`;
    if (this.busy.has(key))
      throw new ApiError('conflict', `The ${format === 'onnx' ? 'ONNX' : 'TensorFlow.js'} export of run ${runId} is already being written`);
    this.busy.add(key);
    try {
      // The default folder holds the latest export only, so no file of an older one lingers.
      if (!destDir) await rm(dir, { recursive: true, force: true });
      const written = await this.context.host.call('exportModel', { run: run.runDir, format, out, check: true });
      await this.refuseMismatch(runId, format, written);
      return this.view(run, format, written, !destDir);
    } finally {
      this.busy.delete(key);
    }
  }

  /** The file `name` of a run's default export of `format`; null for anything else. */
  async download(runId: number, format: string, name: string): Promise<ExportDownload | null> {
    if (!isModelExportFormat(format) || !DOWNLOAD_NAME.test(name)) return null;
    const run = this.context.storage.runs.get(runId);
    if (!run?.runDir) return null;
    const path = join(this.defaultDir(run, format), name);
    const info = await lstat(path).catch(() => null);
    return info?.isFile() ? { path, name, bytes: info.size } : null;
  }

  /** Every file of a run's default export of `format`; null when there is none. */
  async archive(runId: number, format: string): Promise<ExportArchive | null> {
    if (!isModelExportFormat(format)) return null;
    const run = this.context.storage.runs.get(runId);
    if (!run?.runDir) return null;
    const dir = this.defaultDir(run, format);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const names = entries
      .filter((e) => e.isFile() && DOWNLOAD_NAME.test(e.name))
      .map((e) => e.name)
      .sort();
    return names.length > 0 ? { dir, names, baseName: `${exportBaseName(run)}-${format}` } : null;
  }

  private async refuseMismatch(runId: number, format: ModelExportFormat, written: ExportedModel): Promise<void> {
    const check = written.check;
    if (!check || 'skipped' in check || check.relativeError <= MAX_RELATIVE_ERROR) return;
    await Promise.all(written.files.map((f) => rm(f.path, { force: true })));
    const what = format === 'onnx' ? 'ONNX export' : 'TensorFlow.js graph export';
    throw new ApiError(
      'user-error',
      `The ${what} of run ${runId} does not match the app's model (relative error ${check.relativeError.toExponential(1)}, ` +
        `above ${MAX_RELATIVE_ERROR}); its files were not kept`,
    );
  }

  private view(run: RunRow, format: ModelExportFormat, written: ExportedModel, downloadable: boolean): ModelExport {
    const urls = downloadable ? this.urls : null;
    const files = written.files
      .map((file) => {
        const name = relative(written.dir, file.path).split(sep).join('/');
        const url = urls && DOWNLOAD_NAME.test(name) ? urls.file(run.id, format, name) : null;
        return { name, path: file.path, bytes: file.bytes, downloadUrl: url };
      })
      // model.json first: the file a TensorFlow.js loader is pointed at.
      .sort((a, b) => Number(b.name === 'model.json') - Number(a.name === 'model.json') || a.name.localeCompare(b.name));
    return {
      runId: run.id,
      format,
      dir: written.dir,
      checkpoint: { dir: written.checkpoint, epoch: written.epoch },
      files,
      archiveUrl: urls && format === 'tfjs' ? urls.archive(run.id, format) : null,
      check: written.check,
      createdAt: new Date().toISOString(),
    };
  }
}
