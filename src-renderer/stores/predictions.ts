import { defineStore } from 'pinia';
import { count, counted } from '../lib/format';
import { computed, ref, shallowRef } from 'vue';
import { followJob, type FollowedJob } from '../../src-main/contract/job-events';
import type { TestTimeAugmentation } from '../../src-main/contract/test-time-augmentation';
import type { DroppedFile } from '../api/studio-client';
import { useApiClient } from '../api/studio-client';
import type { Output, Payload, PredictItem } from '../api/types';
import { downloadText, mimeFor } from '../lib/download';
import type { PredictionFilter } from '../lib/prediction-filter';
import { DEFAULT_PREDICTION_FILTER, filterPredictions, isPredicted, isSkipped, predictedLabels } from '../lib/prediction-filter';
import { useAppStore } from './app';

const FLUSH_MS = 100;

export type PredictionStatus = 'idle' | 'uploading' | 'running' | 'done' | 'cancelled' | 'failed';

type PredictEvent =
  | { kind: 'item'; payload: Payload<'predict.item'> }
  | { kind: 'progress'; payload: Payload<'predict.progress'> }
  | { kind: 'done'; payload: Payload<'predict.done'> };

export const usePredictionsStore = defineStore('predictions', () => {
  const api = useApiClient();
  const app = useAppStore();
  const runId = ref<number | null>(null);
  const folder = ref('');
  const jobId = ref<string | null>(null);
  const items = shallowRef<PredictItem[]>([]);
  const progress = ref<{ done: number; total: number | null }>({ done: 0, total: null });
  const upload = ref<{ done: number; total: number } | null>(null);
  const status = ref<PredictionStatus>('idle');
  const error = ref<string | null>(null);
  const filter = ref<PredictionFilter>({ ...DEFAULT_PREDICTION_FILTER });
  /** Predict with flip test-time augmentation (each image also mirrored, the probabilities averaged). */
  const flipTta = ref(false);
  /**
   * The test-time augmentation the shown results were predicted with, as the services report it
   * (predict.start's answer, then predict.done's), not the checkbox: that one may be changed after a
   * prediction and only says what the next one will use. Null before any prediction.
   */
  const usedTta = ref<TestTimeAugmentation | null>(null);
  /** What the checkbox asks of the next prediction. */
  const chosenTta = computed<TestTimeAugmentation>(() => (flipTta.value ? 'flip' : 'none'));
  let job: FollowedJob<'predict.start'> | null = null;
  // Items are shown in batches: re-filtering and re-sorting a big grid per item would stutter.
  const pending: PredictItem[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;

  const predicted = computed(() => items.value.filter(isPredicted));
  const skipped = computed(() => items.value.filter(isSkipped));
  const labels = computed(() => predictedLabels(items.value));
  const visible = computed(() => filterPredictions(items.value, filter.value));
  const running = computed(() => status.value === 'running' || status.value === 'uploading');

  function dispose() {
    job?.stop();
    job = null;
  }

  /** One event of this store's job (followJob drops the others' and holds those sent before the job id). */
  function handle(event: PredictEvent) {
    if (event.kind === 'item') {
      pending.push(event.payload.item);
      flushTimer ??= setTimeout(flush, FLUSH_MS);
    } else if (event.kind === 'progress') {
      progress.value = { done: event.payload.done, total: event.payload.total };
    } else {
      finish(event.payload);
    }
  }

  /** Appends the items that arrived since the last flush as one new array (grids compare by identity). */
  function flush() {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (pending.length === 0) return;
    items.value = items.value.concat(pending.splice(0));
  }

  function finish(done: Payload<'predict.done'>) {
    flush();
    dispose();
    usedTta.value = done.tta;
    progress.value = { done: done.predicted + done.skipped, total: progress.value.total ?? done.predicted + done.skipped };
    if (done.error) {
      status.value = 'failed';
      error.value = app.reportError(new Error(done.error), 'Prediction failed');
    } else if (status.value === 'running') {
      status.value = 'done';
      app.notify(`Predicted ${counted(done.predicted, 'image')}${done.skipped ? `, skipped ${count(done.skipped)}` : ''}.`, 'success');
    }
  }

  function reset() {
    dispose();
    pending.length = 0;
    clearTimeout(flushTimer);
    flushTimer = undefined;
    jobId.value = null;
    usedTta.value = null;
    items.value = [];
    progress.value = { done: 0, total: null };
    error.value = null;
    filter.value = { ...DEFAULT_PREDICTION_FILTER };
  }

  /** Predicts every image in a folder with the chosen run's model; results stream into `items`. */
  async function start(path: string) {
    const target = path.trim();
    if (runId.value === null) {
      error.value = app.reportError(new Error('Choose a trained run first.'));
      return;
    }
    if (!target) {
      error.value = app.reportError(new Error('Enter or drop a folder of images first.'));
      return;
    }
    reset();
    folder.value = target;
    status.value = 'running';
    const requested = chosenTta.value;
    const input = { runId: runId.value, folder: target, ...(requested !== 'none' ? { tta: requested } : {}) };
    const handlers = {
      'predict.item': (payload: Payload<'predict.item'>) => handle({ kind: 'item', payload }),
      'predict.progress': (payload: Payload<'predict.progress'>) => handle({ kind: 'progress', payload }),
      'predict.done': (payload: Payload<'predict.done'>) => handle({ kind: 'done', payload }),
    };
    // Before the events held for this job replay, so their progress is not overwritten by the start's.
    const onStarted = (started: Output<'predict.start'>) => {
      jobId.value = started.jobId;
      // The services say which one the job runs with; one that does not say runs what was asked.
      usedTta.value = started.tta ?? requested;
      progress.value = { done: 0, total: started.total };
    };
    job = followJob(api, 'predict.start', input, handlers, onStarted);
    try {
      await job.started;
      flush();
    } catch (err) {
      dispose();
      status.value = 'failed';
      error.value = app.reportError(err, 'Could not start prediction');
    }
  }

  /** A folder dropped on the window: its real path in Electron, an upload in a browser. */
  async function startFromDrop(topLevel: File[], files: DroppedFile[]) {
    const path = topLevel.length === 1 ? api.pathForFile(topLevel[0]) : null;
    if (path) return start(path);
    status.value = 'uploading';
    error.value = null;
    upload.value = { done: 0, total: files.length };
    try {
      const { folder: uploaded } = await api.upload(files, (done, total) => (upload.value = { done, total }));
      upload.value = null;
      await start(uploaded);
    } catch (err) {
      upload.value = null;
      status.value = 'failed';
      error.value = app.reportError(err, 'Could not upload the dropped files');
    }
  }

  async function cancel() {
    if (!jobId.value) return;
    try {
      await api.invoke('predict.cancel', { jobId: jobId.value });
      status.value = 'cancelled';
      flush();
      dispose();
    } catch (err) {
      app.reportError(err, 'Could not cancel prediction');
    }
  }

  async function exportCsv() {
    if (!jobId.value) return;
    try {
      const { filename, content } = await api.invoke('predict.exportCsv', { jobId: jobId.value });
      downloadText(filename, content, mimeFor(filename));
    } catch (err) {
      app.reportError(err, 'Could not export CSV');
    }
  }

  return {
    runId,
    folder,
    jobId,
    items,
    progress,
    upload,
    status,
    error,
    filter,
    flipTta,
    chosenTta,
    usedTta,
    predicted,
    skipped,
    labels,
    visible,
    running,
    start,
    startFromDrop,
    cancel,
    exportCsv,
    dispose,
  };
});
