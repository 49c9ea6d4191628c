import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SuggestionsStatus } from '../../src-main/contract/schemas/suggestions';
import { useApiClient } from '../api/studio-client';
import { counted } from '../lib/format';
import { useAppStore } from './app';
import { useLabelingStore } from './labeling';
import { useRunsStore } from './runs';

/**
 * The labeling view's model help: suggested labels from the dataset's newest run (computed in the
 * ML host, with progress and Cancel), "Accept all above X%" with its undo, and "Retrain with new
 * labels", which continues from that run.
 */
export const useSuggestionsStore = defineStore('suggestions', () => {
  const api = useApiClient();
  const app = useAppStore();
  const labeling = useLabelingStore();
  const runs = useRunsStore();
  const status = ref<SuggestionsStatus | null>(null);
  const progress = ref<{ jobId: string; done: number; total: number } | null>(null);
  const minConfidence = ref(0.9);
  const busy = ref(false);
  /** The last accept, for its Undo button. */
  const lastAccept = ref<{ acceptId: string; updated: number } | null>(null);
  let stops: (() => void)[] = [];

  async function refresh() {
    const datasetId = labeling.datasetId;
    if (datasetId === null || labeling.dataset?.kind !== 'folder') {
      status.value = null;
      return;
    }
    try {
      const next = await api.invoke('suggestions.status', { datasetId });
      if (labeling.datasetId === datasetId) status.value = next;
    } catch (err) {
      app.reportError(err, 'Could not read the suggestions');
    }
  }

  function watch() {
    unwatch();
    stops = [
      api.subscribe('suggestions.progress', (event) => {
        if (event.datasetId === labeling.datasetId) progress.value = { jobId: event.jobId, done: event.done, total: event.total };
      }),
      api.subscribe('suggestions.done', async (event) => {
        if (event.datasetId !== labeling.datasetId) return;
        progress.value = null;
        if (event.error && event.error !== 'Cancelled') app.reportError(new Error(event.error), 'Could not suggest labels');
        else if (!event.error) app.notify(`The model suggested labels for ${counted(event.suggested, 'image')}.`, 'success');
        await Promise.all([refresh(), labeling.reload()]);
      }),
    ];
  }

  function unwatch() {
    stops.forEach((stop) => stop());
    stops = [];
  }

  async function start() {
    const datasetId = labeling.datasetId;
    if (datasetId === null) return;
    try {
      const { jobId, total } = await api.invoke('suggestions.start', { datasetId });
      progress.value = { jobId, done: 0, total };
    } catch (err) {
      app.reportError(err, 'Could not suggest labels');
    }
  }

  async function cancel() {
    const job = progress.value;
    if (!job) return;
    try {
      await api.invoke('suggestions.cancel', { jobId: job.jobId });
    } catch (err) {
      app.reportError(err, 'Could not cancel');
    }
  }

  /** Labels every unlabeled image whose suggestion reaches the cut-off; the filter's class only when one is chosen. */
  async function acceptAbove() {
    const datasetId = labeling.datasetId;
    if (datasetId === null) return;
    busy.value = true;
    try {
      const classId = typeof labeling.filter === 'number' ? labeling.filter : undefined;
      const result = await api.invoke('suggestions.accept', { datasetId, minConfidence: minConfidence.value, ...(classId ? { classId } : {}) });
      lastAccept.value = result.acceptId ? { acceptId: result.acceptId, updated: result.updated } : null;
      if (result.updated) app.notify(`Labeled ${counted(result.updated, 'image')} with the model's suggestion.`, 'success');
      else app.notify(`No suggestion is ${Math.round(minConfidence.value * 100)}% sure or more: lower the cut-off to accept some.`, 'info');
      await Promise.all([refresh(), labeling.reload()]);
    } catch (err) {
      app.reportError(err, 'Could not accept the suggestions');
    } finally {
      busy.value = false;
    }
  }

  async function undoAccept() {
    const done = lastAccept.value;
    if (!done) return;
    busy.value = true;
    try {
      const result = await api.invoke('suggestions.undoAccept', { acceptId: done.acceptId });
      lastAccept.value = null;
      app.notify(`Undone: ${counted(result.restored, 'image')} unlabeled again.`, 'success');
      await Promise.all([refresh(), labeling.reload()]);
    } catch (err) {
      app.reportError(err, 'Could not undo the accept');
    } finally {
      busy.value = false;
    }
  }

  /** Trains again on today's labels, starting from the newest run's weights with its settings. */
  async function retrain() {
    const newest = status.value?.newestRun;
    if (!newest) return null;
    await runs.load();
    const run = runs.runs.find((r) => r.id === newest.id);
    if (!run) return null;
    const started = await runs.retrainFrom(run);
    if (started) app.notify(`Retraining from “${run.name}” as “${started.name}”: follow it in Training.`, 'success');
    return started;
  }

  return { status, progress, minConfidence, busy, lastAccept, refresh, watch, unwatch, start, cancel, acceptAbove, undoAccept, retrain };
});
