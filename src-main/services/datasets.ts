import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { ApiError, type CallContext, type Handlers } from '../contract';
import { cifarRecordLocation, noReadableImageMessage } from '../engine/api/light';
import type { ScanResult } from '../ml-host/protocol';
import type { NewImage, RescannedImage } from '../storage';
import type { AuditService } from './audit';
import { alreadyAdded, datasetAt, inspectFolder } from './dataset-folders';
import { detached, errorMessage, paths, requireDataset, type ServiceContext } from './context';
import { datasetView } from './dataset-view';
import { exportLabeled } from './export-labeled';
import type { TrainingService } from './training';

type DatasetHandlers = Pick<
  Handlers,
  | 'datasets.list'
  | 'datasets.get'
  | 'datasets.addFolder'
  | 'datasets.cancelScan'
  | 'datasets.rescan'
  | 'datasets.inspectFolder'
  | 'datasets.addCifar10'
  | 'datasets.downloadCifar10'
  | 'datasets.remove'
  | 'datasets.exportLabeled'
>;

/** Relative path with '/' separators: the engine's sample id for a folder image. */
const sampleKey = (root: string, path: string) => relative(root, path).split(sep).join('/');

function folderImages(scan: Extract<ScanResult, { format: 'image-folder' }>): NewImage[] {
  const images: NewImage[] = scan.images.map((image) => ({
    sampleKey: image.key,
    path: image.path,
    classPosition: image.label >= 0 ? image.label : null,
  }));
  for (const file of scan.skipped) {
    images.push({
      sampleKey: sampleKey(scan.root, file.path),
      path: file.path,
      classPosition: null,
      skippedReason: file.reason,
      skippedDetail: file.detail,
    });
  }
  return images;
}

function rescannedImages(scan: Extract<ScanResult, { format: 'image-folder' }>): RescannedImage[] {
  return folderImages(scan).map((image) => ({
    sampleKey: image.sampleKey,
    path: image.path,
    className: image.classPosition === null ? null : scan.classes[image.classPosition],
    skippedReason: image.skippedReason ?? undefined,
    skippedDetail: image.skippedDetail,
  }));
}

function cifarImages(scan: Extract<ScanResult, { format: 'cifar10-binary' }>): NewImage[] {
  const images: NewImage[] = [];
  for (const [split, labels] of Object.entries(scan.labels)) {
    labels.forEach((label, index) => {
      const { path, recordIndex } = cifarRecordLocation(scan.root, split, index);
      images.push({ sampleKey: `${split}:${index}`, path, recordIndex, classPosition: label, split });
    });
  }
  return images;
}

/**
 * Datasets: adding a folder decodes every image in the ML host (so broken files are found the way
 * training would find them) and stores each image with its class; CIFAR-10 stores one row per record.
 */
export function datasetHandlers(context: ServiceContext, training: TrainingService, audits: AuditService): DatasetHandlers {
  const { storage, host, events } = context;
  /** Running scans by the client's `scanId`, for `datasets.cancelScan`. */
  const scans = new Map<string, AbortController>();

  /**
   * Scans a folder in the ML host. It stops when `datasets.cancelScan` names its `scanId`, or when
   * the client that asked goes away (`call.signal`): nobody would see the result.
   */
  async function scan(path: string, call: { scanId?: string; signal?: AbortSignal } = {}): Promise<ScanResult> {
    const dir = resolve(path);
    const info = await stat(dir).catch(() => null);
    if (!info) throw new ApiError('user-error', `Folder not found: ${dir}`);
    if (!info.isDirectory()) throw new ApiError('user-error', `${dir} is a file; choose a folder`);
    const { scanId } = call;
    if (scanId !== undefined && scans.has(scanId)) throw new ApiError('conflict', `A scan named ${scanId} is already running`);
    const cancel = new AbortController();
    if (scanId !== undefined) scans.set(scanId, cancel);
    try {
      return await host.call(
        'scanDataset',
        { dir },
        {
          signal: call.signal ? AbortSignal.any([cancel.signal, call.signal]) : cancel.signal,
          onEvent: (e) =>
            events.emit(
              'datasets.scanProgress',
              e.type === 'walk'
                ? { path: dir, scanId, phase: 'walk', seen: e.seen, found: e.found, done: 0, total: 0 }
                : { path: dir, scanId, phase: 'decode', done: e.done, total: e.total ?? e.done, found: e.total ?? e.done },
            ),
        },
      );
    } finally {
      if (scanId !== undefined) scans.delete(scanId);
    }
  }

  /** Refuses a second dataset from a folder already added (as the same kind). */
  async function refuseDuplicate(path: string, kind: 'folder' | 'cifar10') {
    const existing = await datasetAt(storage, path, kind);
    if (existing) throw alreadyAdded(resolve(path), existing);
  }

  async function addScanned(path: string, kind: 'folder' | 'cifar10', name: string | undefined, call: CallContext, scanId?: string) {
    await refuseDuplicate(path, kind);
    const result = await scan(path, { scanId, signal: call.signal });
    if (kind === 'cifar10' && result.format !== 'cifar10-binary') {
      throw new ApiError('user-error', `No CIFAR-10 files in ${resolve(path)} (expected cifar-10-batches-bin or its data_batch_*.bin files)`);
    }
    if (result.format === 'image-folder' && result.images.length === 0) {
      // Nothing to label or train: no dataset rather than an empty one that looks like a success.
      throw new ApiError('dataset-unreadable', noReadableImageMessage(result.root, result.skipped));
    }
    // The scan may have found the CIFAR folder inside the one given: check the folder it used too.
    await refuseDuplicate(result.root, result.format === 'cifar10-binary' ? 'cifar10' : 'folder');
    return store(result, name);
  }

  function store(result: ScanResult, name: string | undefined) {
    const isCifar = result.format === 'cifar10-binary';
    const id = storage.datasets.create({
      name: name ?? (isCifar ? 'CIFAR-10' : basename(result.root)),
      kind: isCifar ? 'cifar10' : 'folder',
      root: result.root,
      classes: result.classes,
      images: isCifar ? cifarImages(result) : folderImages(result),
    });
    events.emit('datasets.changed', { datasetId: id });
    return datasetView(storage, requireDataset(context, id));
  }

  return {
    'datasets.list': () => storage.datasets.list().map((row) => datasetView(storage, row)),
    'datasets.get': ({ id }) => datasetView(storage, requireDataset(context, id)),

    'datasets.addFolder': ({ path, name, scanId }, call) => addScanned(path, 'folder', name, call, scanId),
    'datasets.cancelScan': ({ scanId }) => {
      const running = scans.get(scanId);
      running?.abort();
      return { cancelled: running !== undefined };
    },
    'datasets.inspectFolder': ({ path }) => inspectFolder(storage, path),
    'datasets.rescan': async ({ id, scanId }, call) => {
      const row = requireDataset(context, id);
      if (row.kind !== 'folder') throw new ApiError('user-error', `“${row.name}” is CIFAR-10, whose files do not change; only image folders can be rescanned`);
      const result = await scan(row.root, { scanId, signal: call.signal });
      if (result.format !== 'image-folder') throw new ApiError('user-error', `${row.root} now holds CIFAR-10 files; add it as CIFAR-10 instead`);
      const counts = storage.datasets.rescan(id, rescannedImages(result));
      events.emit('datasets.changed', { datasetId: id });
      return { dataset: datasetView(storage, requireDataset(context, id)), ...counts };
    },

    'datasets.addCifar10': ({ path, name }, call) => addScanned(path, 'cifar10', name, call),

    'datasets.downloadCifar10': () => {
      const jobId = randomUUID();
      const progress = (
        phase: 'download' | 'verify' | 'done' | 'error',
        extra: { received?: number; total?: number | null; message?: string; datasetId?: number } = {},
      ) => events.emit('datasets.downloadProgress', { jobId, phase, received: extra.received ?? 0, total: extra.total ?? null, ...extra });
      detached(context, 'CIFAR-10 download', async () => {
        try {
          const { folder } = await host.call(
            'downloadCifar10',
            { destDir: paths.downloads(context.dataDir) },
            {
              onEvent: (e) => progress('download', { received: e.done, total: e.total }),
            },
          );
          progress('verify');
          const dataset = store(await scan(folder), 'CIFAR-10');
          progress('done', { datasetId: dataset.id });
        } catch (error) {
          progress('error', { message: errorMessage(error) });
        }
      });
      return { jobId };
    },

    'datasets.remove': async ({ id }) => {
      requireDataset(context, id);
      audits.refuseWhileAuditing(id);
      await training.removeRuns(storage.runs.list().filter((run) => run.datasetId === id));
      storage.datasets.remove(id);
      await audits.removeSnapshot(id);
      events.emit('datasets.changed', { datasetId: id, removed: true });
      return {};
    },

    'datasets.exportLabeled': ({ id, destDir }) => exportLabeled(storage, requireDataset(context, id), destDir),
  };
}
