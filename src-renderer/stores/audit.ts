import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Audit } from '../../src-main/contract/schemas/audit';
import { useApiClient } from '../api/studio-client';
import type { Payload } from '../api/types';
import { useAppStore } from './app';
import { useDatasetsStore } from './datasets';

export type AuditProgress = Omit<Payload<'audit.progress'>, 'datasetId'>;
export type LikelyError = Audit['likelyMislabeled'][number];
/** What the person decided about a likely label error. */
export type LikelyErrorAction = 'relabel' | 'keep' | 'exclude';

/**
 * The Datasets view's health check (issue 16): the selected folder dataset's last audit, a new
 * one with its progress and Cancel, and the three answers to a likely label error. The progress
 * is kept per dataset, so a check keeps its bar when the person looks at another dataset and back.
 */
export const useAuditStore = defineStore('audit', () => {
  const api = useApiClient();
  const app = useAppStore();
  const datasets = useDatasetsStore();
  /** The dataset `audit` belongs to. */
  const datasetId = ref<number | null>(null);
  const audit = ref<Audit | null>(null);
  const loaded = ref(false);
  const running = ref<Record<number, AuditProgress>>({});
  /** An answer to a likely error in flight: the keys wait for it, so one press is one decision. */
  const busy = ref(false);
  let stops: (() => void)[] = [];

  const progress = computed(() => (datasetId.value === null ? null : (running.value[datasetId.value] ?? null)));

  function setRunning(id: number, job: AuditProgress | null) {
    const next = { ...running.value };
    if (job) next[id] = job;
    else delete next[id];
    running.value = next;
  }

  /** Reads the dataset's last audit; an answer for a dataset no longer shown is dropped. */
  async function load(id: number) {
    if (datasetId.value !== id) {
      datasetId.value = id;
      audit.value = null;
      loaded.value = false;
    }
    try {
      const next = await api.invoke('audit.get', { datasetId: id });
      if (datasetId.value !== id) return;
      audit.value = next;
      loaded.value = true;
    } catch (err) {
      app.reportError(err, 'Could not read the dataset check');
    }
  }

  /** Follows every audit's progress for the store's lifetime (idempotent): a check may end while its dataset is not on screen. */
  function watch() {
    if (stops.length) return;
    stops = [
      api.subscribe('audit.progress', ({ datasetId: id, ...job }) => setRunning(id, job)),
      api.subscribe('audit.done', async ({ datasetId: id, error }) => {
        setRunning(id, null);
        if (error === 'Cancelled') app.notify('Check cancelled: the last check, if any, still shows.', 'info');
        else if (error) app.reportError(new Error(error), 'The dataset check failed');
        if (id === datasetId.value) await load(id);
      }),
    ];
  }

  function unwatch() {
    stops.forEach((stop) => stop());
    stops = [];
  }

  async function start(runId?: number) {
    const id = datasetId.value;
    if (id === null) return;
    // The bar shows at once; the service's own 'preparing' event follows.
    setRunning(id, { jobId: '', stage: 'preparing', done: 0, total: 0 });
    try {
      const { jobId } = await api.invoke('audit.start', { datasetId: id, ...(runId === undefined ? {} : { runId }) });
      // No entry left means it ended before its id came back, and audit.done was handled.
      const job = running.value[id];
      if (job && !job.jobId) setRunning(id, { ...job, jobId });
    } catch (err) {
      setRunning(id, null);
      app.reportError(err, 'Could not check the dataset');
    }
  }

  async function cancel() {
    const job = progress.value;
    if (!job?.jobId) return;
    try {
      await api.invoke('audit.cancel', { jobId: job.jobId });
    } catch (err) {
      app.reportError(err, 'Could not cancel the check');
    }
  }

  /**
   * Relabels to the suggested class, keeps the label, or leaves the image out of training. The
   * entry leaves the list at once (the next one is under the cursor for the next key), then the
   * audit is read again: its counts and "labels changed" follow.
   */
  async function resolve(item: LikelyError, action: LikelyErrorAction): Promise<boolean> {
    const id = datasetId.value;
    if (id === null || item.imageId === null || busy.value) return false;
    const imageId = item.imageId;
    busy.value = true;
    try {
      if (action === 'relabel') await api.invoke('labels.assign', { imageIds: [imageId], classId: item.suggestedClassId });
      else if (action === 'keep') await api.invoke('audit.keep', { datasetId: id, imageId });
      else await api.invoke('images.setExcluded', { imageIds: [imageId], excluded: true });
      if (audit.value && datasetId.value === id) {
        audit.value = { ...audit.value, likelyMislabeled: audit.value.likelyMislabeled.filter((entry) => entry.imageId !== imageId) };
      }
      // The Datasets grid shows the new label or the excluded mark without a reload.
      if (action === 'relabel')
        datasets.images.patch(
          (image) => image.id === imageId,
          (image) => ({ ...image, classId: item.suggestedClassId }),
        );
      if (action === 'exclude')
        datasets.images.patch(
          (image) => image.id === imageId,
          (image) => ({ ...image, excluded: true }),
        );
      await Promise.all([load(id), action === 'relabel' ? datasets.refresh(id) : null]);
      return true;
    } catch (err) {
      app.reportError(
        err,
        action === 'relabel' ? 'Could not relabel the image' : action === 'keep' ? 'Could not keep the label' : 'Could not exclude the image',
      );
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { datasetId, audit, loaded, progress, busy, load, watch, unwatch, start, cancel, resolve };
});
