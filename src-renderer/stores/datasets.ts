import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { followJob } from '../../src-main/contract/job-events';
import type { DroppedFile } from '../api/studio-client';
import { useApiClient } from '../api/studio-client';
import type { Dataset, DownloadProgress, ImageItem } from '../api/types';
import { counted } from '../lib/format';
import { rescanSummary, useFolderAdding, type AddFolderOptions } from './add-folder';
import { useAppStore } from './app';
import { createPagedList } from './paged-list';

export interface UploadProgress {
  done: number;
  total: number;
}

export const useDatasetsStore = defineStore('datasets', () => {
  const api = useApiClient();
  const app = useAppStore();
  const datasets = ref<Dataset[]>([]);
  const selectedId = ref<number | null>(null);
  const loading = ref(false);
  const busy = ref<string | null>(null);
  const download = ref<DownloadProgress | null>(null);
  const upload = ref<UploadProgress | null>(null);
  let stopDownload: (() => void) | null = null;
  let stopChanges: (() => void) | null = null;
  const folders = useFolderAdding(api, (err) => app.reportError(err, 'Could not add the folder'));

  const selected = computed(() => datasets.value.find((d) => d.id === selectedId.value) ?? null);

  const images = createPagedList<ImageItem>(
    (offset, limit) => {
      if (selectedId.value === null) return Promise.resolve({ total: 0, items: [] });
      return api.invoke('images.list', { datasetId: selectedId.value, filter: {}, offset, limit });
    },
    (err) => app.reportError(err, 'Could not load images'),
  );

  function upsert(dataset: Dataset) {
    const index = datasets.value.findIndex((d) => d.id === dataset.id);
    if (index === -1) datasets.value = [...datasets.value, dataset];
    else datasets.value = datasets.value.map((d) => (d.id === dataset.id ? dataset : d));
  }

  async function load() {
    loading.value = true;
    try {
      datasets.value = await api.invoke('datasets.list', {});
      if (selectedId.value !== null && !selected.value) selectedId.value = null;
      if (selectedId.value === null && datasets.value.length > 0) await select(datasets.value[0].id);
    } catch (err) {
      app.reportError(err, 'Could not list datasets');
    } finally {
      loading.value = false;
    }
  }

  async function select(id: number | null) {
    selectedId.value = id;
    if (id === null) images.clear();
    else await images.reset();
  }

  /** Re-reads one dataset (class counts change after labeling). */
  async function refresh(id: number) {
    try {
      upsert(await api.invoke('datasets.get', { id }));
    } catch (err) {
      app.reportError(err, 'Could not refresh the dataset');
    }
  }

  async function run<T>(label: string, errorContext: string, task: () => Promise<T>): Promise<T | null> {
    busy.value = label;
    try {
      return await task();
    } catch (err) {
      app.reportError(err, errorContext);
      return null;
    } finally {
      busy.value = null;
    }
  }

  async function added(dataset: Dataset | null) {
    if (!dataset) return null;
    upsert(dataset);
    await select(dataset.id);
    const skipped = dataset.skipped.length ? `, ${dataset.skipped.length} skipped` : '';
    app.notify(`Added “${dataset.name}”: ${counted(dataset.imageCount, 'image')}${skipped}.`, 'success');
    return dataset;
  }

  /**
   * Adds a folder after a quick look at it: a folder added already, or one without class folders,
   * leaves a question in `folderNotice` instead (see add-folder.ts); the scan shows in `scan`.
   */
  async function addFolder(path: string, name?: string, options: Omit<AddFolderOptions, 'name'> = {}) {
    const trimmed = path.trim();
    if (!trimmed) {
      app.reportError(new Error('Enter the path of a folder first.'));
      return null;
    }
    busy.value = 'Adding folder…';
    try {
      return await added(await folders.addFolder(trimmed, { ...options, name: name?.trim() || undefined }));
    } finally {
      busy.value = null;
    }
  }

  /** Scans a folder dataset's folder again; labels are kept (see `datasets.rescan`). */
  async function rescan(id: number) {
    const dataset = datasets.value.find((d) => d.id === id);
    if (!dataset) return null;
    busy.value = 'Rescanning…';
    try {
      const result = await folders.rescan(dataset);
      if (!result) return null;
      upsert(result.dataset);
      await select(id);
      app.notify(rescanSummary(result), 'success');
      return result.dataset;
    } finally {
      busy.value = null;
    }
  }

  async function addCifar10(path: string) {
    return added(await run('Adding CIFAR-10…', 'Could not add CIFAR-10', () => api.invoke('datasets.addCifar10', { path: path.trim() })));
  }

  /** Adds a folder dropped on the window: its real path in Electron, an upload in a browser. */
  async function addDropped(topLevel: File[], files: DroppedFile[], name?: string) {
    const path = topLevel.length === 1 ? api.pathForFile(topLevel[0]) : null;
    if (path) return addFolder(path, name);
    const uploaded = await run('Uploading…', 'Could not upload the dropped files', async () => {
      upload.value = { done: 0, total: files.length };
      try {
        return await api.upload(files, (done, total) => (upload.value = { done, total }));
      } finally {
        upload.value = null;
      }
    });
    if (!uploaded) return null;
    const folderName = name ?? files[0]?.relativePath.split('/')[0];
    return addFolder(uploaded.folder, folderName, { offerParent: false });
  }

  function disposeDownload() {
    stopDownload?.();
    stopDownload = null;
  }

  /** Starts the CIFAR-10 download and follows its progress events until it finishes. */
  async function downloadCifar10() {
    disposeDownload();
    // Only this download's events, including those sent before its job id (followJob holds them).
    const onProgress = (event: DownloadProgress) => {
      download.value = event;
      if (event.phase === 'error') {
        disposeDownload();
        app.reportError(new Error(event.message ?? 'unknown error'), 'CIFAR-10 download failed');
      } else if (event.phase === 'done') {
        disposeDownload();
        void finishDownload(event);
      }
    };
    download.value = { jobId: '', received: 0, total: null, phase: 'download' };
    const job = followJob(api, 'datasets.downloadCifar10', {}, { 'datasets.downloadProgress': onProgress }, ({ jobId }) => {
      if (download.value) download.value = { ...download.value, jobId };
    });
    stopDownload = job.stop;
    try {
      await job.started;
    } catch (err) {
      disposeDownload();
      download.value = null;
      app.reportError(err, 'Could not start the CIFAR-10 download');
    }
  }

  async function finishDownload(event: DownloadProgress) {
    if (event.datasetId !== undefined) {
      await refresh(event.datasetId);
      await select(event.datasetId);
    } else {
      await load();
    }
    app.notify('CIFAR-10 is ready.', 'success');
  }

  async function remove(id: number) {
    const ok = await run('Removing…', 'Could not remove the dataset', () => api.invoke('datasets.remove', { id }));
    if (!ok) return;
    datasets.value = datasets.value.filter((d) => d.id !== id);
    if (selectedId.value === id) await select(datasets.value[0]?.id ?? null);
  }

  /** Keeps the list current when something else (another window, predict.accept) changes a dataset. */
  function watchChanges() {
    unwatchChanges();
    stopChanges = api.subscribe('datasets.changed', async ({ datasetId, removed }) => {
      if (removed) {
        datasets.value = datasets.value.filter((d) => d.id !== datasetId);
        if (selectedId.value === datasetId) await select(datasets.value[0]?.id ?? null);
        return;
      }
      await refresh(datasetId);
      const changed = datasets.value.find((d) => d.id === datasetId);
      if (datasetId === selectedId.value && changed && changed.imageCount !== images.total.value) await images.reset();
    });
  }

  function unwatchChanges() {
    stopChanges?.();
    stopChanges = null;
  }

  return {
    datasets,
    selectedId,
    selected,
    loading,
    busy,
    download,
    upload,
    images,
    load,
    select,
    refresh,
    addFolder,
    scan: folders.scan,
    folderNotice: folders.notice,
    cancelScan: folders.cancelScan,
    rescan,
    dismissFolderNotice: folders.dismissNotice,
    addCifar10,
    addDropped,
    downloadCifar10,
    disposeDownload,
    remove,
    watchChanges,
    unwatchChanges,
  };
});
