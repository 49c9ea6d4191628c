import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { SuggestionsStatus } from '../../src-main/contract/schemas/suggestions';
import { useApiClient } from '../api/studio-client';
import type { Run } from '../api/types';
import { counted } from '../lib/format';
import { runName } from '../lib/run-label';
import { useAppStore } from './app';
import { useLabelingStore } from './labeling';
import { useRunsStore } from './runs';

/**
 * Runs whose model ended with a finished checkpoint: completed, or stopped by the person (its best
 * epoch's weights stay). A run still training, failed or diverged is not offered to suggest.
 */
const FINISHED: readonly Run['status'][] = ['completed', 'stopped'];

/**
 * The runs that can suggest labels for a dataset, newest first (the service's order: start time,
 * then id). Only the dataset's own runs: suggestions.start refuses a run of another dataset, whose
 * class list need not be this one's.
 */
export function suggestingRuns(runs: readonly Run[], datasetId: number | null): Run[] {
  return runs
    .filter((run) => run.datasetId === datasetId && run.checkpointDir !== null && FINISHED.includes(run.status))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id - a.id);
}

/** The run a dataset suggests with until the person picks one: its newest completed run, else its newest usable (stopped) one. */
export function defaultSuggestingRun(candidates: readonly Run[]): Run | null {
  return candidates.find((run) => run.status === 'completed') ?? candidates[0] ?? null;
}

/**
 * The labeling view's model help: suggested labels from a run the person picks (the dataset's
 * newest by default; computed in the ML host, with progress and Cancel), "Accept all above X%"
 * with its undo, and "Retrain with new labels", which continues from the run that suggested.
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
  /**
   * The person's pick per dataset id. Kept in this store while the app runs, as the Training view
   * keeps its dataset and preset picks (nothing in the renderer outlives a reload).
   */
  const picked = ref<Record<number, number>>({});

  const candidates = computed(() => suggestingRuns(runs.runs, labeling.datasetId));
  /** The run "Suggest labels" asks: the person's pick while it can still suggest, else the default. */
  const chosenRun = computed(() => {
    const id = labeling.datasetId === null ? undefined : picked.value[labeling.datasetId];
    return candidates.value.find((run) => run.id === id) ?? defaultSuggestingRun(candidates.value);
  });
  /** Why no run can suggest for this dataset, in words for the bar; null when one can. */
  const noRunReason = computed(() => {
    if (candidates.value.length > 0) return null;
    const own = runs.runs.filter((run) => run.datasetId === labeling.datasetId);
    const training = own.find((run) => runs.isActive(run));
    if (training) return `${runName(training)} is ${training.queuePosition ? 'waiting to train' : 'still training'}: it can suggest labels once it finishes.`;
    if (own.length > 0) return 'No run of this dataset finished with a model: train one to the end and it will suggest labels.';
    return 'Train a model on this dataset first: it will suggest a label for every unlabeled image.';
  });

  function choose(runId: number) {
    if (labeling.datasetId === null) return;
    picked.value = { ...picked.value, [labeling.datasetId]: runId };
  }

  async function refresh() {
    const datasetId = labeling.datasetId;
    if (datasetId === null || labeling.dataset?.kind !== 'folder') {
      status.value = null;
      return;
    }
    try {
      const next = await api.invoke('suggestions.status', { datasetId });
      if (labeling.datasetId !== datasetId) return;
      status.value = next;
      // A run trained elsewhere (another tab, the CLI) is one this window has not heard of: the picker needs it.
      const known = (ref: { id: number } | null) => ref === null || runs.runs.some((run) => run.id === ref.id);
      if (!known(next.newestRun) || !known(next.run)) await runs.load();
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
    const run = chosenRun.value;
    if (datasetId === null) return;
    if (!run) {
      app.notify(noRunReason.value ?? 'Choose a run to suggest labels with.', 'info');
      return;
    }
    try {
      const { jobId, total } = await api.invoke('suggestions.start', { datasetId, runId: run.id });
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

  /** Trains again on today's labels, from the weights and settings of the run that made the suggestions (the one older than the labels). */
  async function retrain() {
    const from = status.value?.run ?? status.value?.newestRun;
    if (!from) return null;
    await runs.load();
    const run = runs.runs.find((r) => r.id === from.id);
    if (!run) return null;
    const started = await runs.retrainFrom(run);
    if (started) app.notify(`Retraining from “${run.name}” as “${started.name}”: follow it in Training.`, 'success');
    return started;
  }

  return {
    status,
    progress,
    minConfidence,
    busy,
    lastAccept,
    candidates,
    chosenRun,
    noRunReason,
    choose,
    refresh,
    watch,
    unwatch,
    start,
    cancel,
    acceptAbove,
    undoAccept,
    retrain,
  };
});
