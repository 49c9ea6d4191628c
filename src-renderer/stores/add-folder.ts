import { ref } from 'vue';
import { toApiError } from '../api/api-error';
import type { StudioClient } from '../api/studio-client';
import type { Dataset, Output, Payload } from '../api/types';
import { counted } from '../lib/format';

/** A folder scan as the Add panel shows it: looking for images (`walk`), then decoding them (`decode`). */
export interface ScanProgress {
  scanId: string;
  phase: 'walk' | 'decode';
  /** Folder entries looked at so far (walk). */
  seen: number;
  /** Image files found so far. */
  found: number;
  /** Images decoded, of `total` (decode). */
  done: number;
  total: number;
}

/** What the Add panel asks or says about the folder last tried, instead of adding it blindly. */
export type FolderNotice =
  | { kind: 'no-classes'; path: string; name?: string; parent: string | null; looseImages: number }
  | { kind: 'already-added'; path: string; datasetId: number; datasetName: string }
  | { kind: 'unreadable'; path: string; message: string };

export interface AddFolderOptions {
  name?: string;
  /** The person chose to add a folder without class folders and label its images here. */
  unlabeledIsFine?: boolean;
  /** False for an uploaded folder, whose parent is a server folder the person never chose. */
  offerParent?: boolean;
}

/** "Rescanned “pets”: 3 new files, 1 no longer in the folder." */
export function rescanSummary(result: Output<'datasets.rescan'>): string {
  const parts = [
    result.added ? counted(result.added, 'new file') : '',
    result.changed ? `${counted(result.changed, 'file')} changed` : '',
    result.missing ? `${counted(result.missing, 'file')} no longer in the folder` : '',
  ].filter(Boolean);
  return `Rescanned “${result.dataset.name}”: ${parts.length ? parts.join(', ') : 'nothing changed'}.`;
}

function newScanId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `scan-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Adding a folder in steps: a quick look first (`datasets.inspectFolder`: added already? no
 * class folders?), then the scan with its progress and a way to stop it. Anything the person
 * has to decide is left in `notice` for the Add panel; errors go to `onError` (a toast).
 */
export function useFolderAdding(api: StudioClient, onError: (err: unknown) => void) {
  const scan = ref<ScanProgress | null>(null);
  const notice = ref<FolderNotice | null>(null);

  /** Runs one scanning call with its progress in `scan`; a cancelled scan gives null, quietly. */
  async function withScan<T>(path: string, call: (scanId: string) => Promise<T>): Promise<T | null> {
    const scanId = newScanId();
    scan.value = { scanId, phase: 'walk', seen: 0, found: 0, done: 0, total: 0 };
    const stop = api.subscribe('datasets.scanProgress', (p: Payload<'datasets.scanProgress'>) => {
      if (p.scanId !== scanId) return;
      scan.value = { scanId, phase: p.phase ?? 'decode', seen: p.seen ?? scan.value?.seen ?? 0, found: p.found ?? p.total, done: p.done, total: p.total };
    });
    try {
      return await call(scanId);
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'aborted') return null;
      if (error.code === 'dataset-unreadable') {
        notice.value = { kind: 'unreadable', path, message: error.message };
        return null;
      }
      onError(err);
      return null;
    } finally {
      stop();
      scan.value = null;
    }
  }

  /** Looks at the folder, then adds it unless the person has something to decide first (see `notice`). */
  async function addFolder(path: string, options: AddFolderOptions = {}): Promise<Dataset | null> {
    notice.value = null;
    let inspection;
    try {
      inspection = await api.invoke('datasets.inspectFolder', { path });
    } catch (err) {
      onError(err);
      return null;
    }
    if (inspection.existing) {
      notice.value = { kind: 'already-added', path: inspection.path, datasetId: inspection.existing.id, datasetName: inspection.existing.name };
      return null;
    }
    if (!options.unlabeledIsFine && inspection.subfolders === 0 && inspection.looseImages > 0) {
      const parent = options.offerParent === false ? null : inspection.parent;
      notice.value = { kind: 'no-classes', path: inspection.path, name: options.name, parent, looseImages: inspection.looseImages };
      return null;
    }
    const name = options.name;
    return withScan(inspection.path, (scanId) =>
      api.invoke('datasets.addFolder', name ? { path: inspection.path, name, scanId } : { path: inspection.path, scanId }),
    );
  }

  /** Scans a folder dataset again (new files, files gone); its progress shows like an add's. */
  function rescan(dataset: Dataset): Promise<Output<'datasets.rescan'> | null> {
    notice.value = null;
    return withScan(dataset.root, (scanId) => api.invoke('datasets.rescan', { id: dataset.id, scanId }));
  }

  async function cancelScan(): Promise<void> {
    const running = scan.value;
    if (!running) return;
    try {
      await api.invoke('datasets.cancelScan', { scanId: running.scanId });
    } catch (err) {
      onError(err);
    }
  }

  return { scan, notice, addFolder, rescan, cancelScan, dismissNotice: () => (notice.value = null) };
}
