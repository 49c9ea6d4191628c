import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { followNewRun } from '../../src-main/contract/job-events';
import { appendStep, joinSteps, stepX } from '../../src-main/contract/step-points';
import { trainConfigSchema } from '../../src-main/contract/schemas/train-config';
import { useApiClient } from '../api/studio-client';
import type { BatchMetrics, EpochMetrics, Payload, Preset, Run, TrainConfigInput } from '../api/types';
import { runName } from '../lib/run-label';
import { useAppStore } from './app';
import type { TrainForm } from './training-config';
import { configFromForm, DEFAULT_FORM, formFromConfig, matchesPreset, runSettings } from './training-config';

/** One training step on the charts; `x` is in epochs (2.5 = halfway through the third epoch). */
export interface BatchPoint {
  x: number;
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  lr: number;
}

const toPoint = (b: BatchMetrics): BatchPoint => ({
  x: stepX(b),
  epoch: b.epoch,
  step: b.step,
  stepsPerEpoch: b.stepsPerEpoch,
  loss: b.loss,
  accuracy: b.accuracy,
  lr: b.lr,
});
const SETTINGS = Object.keys(trainConfigSchema.shape) as (keyof TrainConfigInput)[];

export interface TrainingProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  imagesPerSec: number;
  etaSec: number | null;
  fraction: number;
}

const ACTIVE: Run['status'][] = ['queued', 'running', 'stopping'];

export const useRunsStore = defineStore('runs', () => {
  const api = useApiClient();
  const app = useAppStore();
  const runs = ref<Run[]>([]);
  const presets = ref<Preset[]>([]);
  const presetId = ref<string | null>(null);
  const form = ref<TrainForm>({ ...DEFAULT_FORM });
  const presetConfig = ref<TrainConfigInput>({});
  const selectedId = ref<number | null>(null);
  const batches = shallowRef<BatchPoint[]>([]);
  const epochs = shallowRef<EpochMetrics[]>([]);
  const lastBatch = ref<BatchMetrics | null>(null);
  const starting = ref(false);
  /** True until the first load answered: Train waits for it (the presets and runs decide the form). */
  const loading = ref(true);
  let loaded: Promise<void> | null = null;
  /** The dataset the Training view trains on; follows the run in progress or the last run until the person picks one. */
  const datasetId = ref<number | null>(null);
  const datasetChosen = ref(false);
  let viewers = 0;
  let unsubscribe: (() => void) | null = null;

  const selected = computed(() => runs.value.find((r) => r.id === selectedId.value) ?? null);
  const activeRuns = computed(() => runs.value.filter((r) => ACTIVE.includes(r.status)));
  /** The run the ML host trains now (not one waiting in line). */
  const training = computed(() => activeRuns.value.find((r) => !r.queuePosition) ?? null);
  const waitingCount = computed(() => activeRuns.value.filter((r) => r.queuePosition).length);
  const fieldErrors = computed(() => configFromForm(form.value, presetConfig.value).errors);
  const isActive = (run: Run | null) => run !== null && ACTIVE.includes(run.status);

  const progress = computed<TrainingProgress | null>(() => {
    const run = selected.value;
    if (!run) return null;
    const batch = lastBatch.value;
    const lastEpoch = epochs.value[epochs.value.length - 1];
    const total = run.epochs || runSettings(run).epochs || 1;
    if (!batch) {
      const done = lastEpoch?.epoch ?? run.epochsCompleted;
      return { epoch: done, epochs: total, step: 0, stepsPerEpoch: 0, imagesPerSec: 0, etaSec: null, fraction: Math.min(1, done / total) };
    }
    const fraction = Math.min(1, (batch.epoch - 1 + batch.step / batch.stepsPerEpoch) / total);
    const remainingSteps = (total - batch.epoch) * batch.stepsPerEpoch + (batch.stepsPerEpoch - batch.step);
    const batchSize = runSettings(run).batchSize ?? form.value.batchSize;
    const etaSec = batch.imagesPerSec > 0 ? (remainingSteps * batchSize) / batch.imagesPerSec : (lastEpoch?.etaSec ?? null);
    return { epoch: batch.epoch, epochs: total, step: batch.step, stepsPerEpoch: batch.stepsPerEpoch, imagesPerSec: batch.imagesPerSec, etaSec, fraction };
  });

  function upsert(run: Run) {
    const index = runs.value.findIndex((r) => r.id === run.id);
    if (index === -1) runs.value = [run, ...runs.value];
    else runs.value = runs.value.map((r) => (r.id === run.id ? run : r));
  }

  function load(): Promise<void> {
    loaded = (async () => {
      try {
        const [runList, presetList] = await Promise.all([api.invoke('runs.list', {}), api.invoke('presets.list', {})]);
        runs.value = runList;
        presets.value = presetList;
        // The quick preset first: a first model in minutes matters more than the heavy recipe.
        // Not over a form that follows a run or the person (a custom form has no preset id either).
        if (presetId.value === null && !presetPicked.value && presetList.length > 0)
          applyPreset((presetList.find((p) => p.id === 'fast-cifar') ?? presetList[0]).id, false);
        // A reload or a second tab shows the run in progress (else the newest), with its data and settings in the form.
        const inProgress = runList.find((r) => ACTIVE.includes(r.status) && !r.queuePosition) ?? null;
        const focus = inProgress ?? runList[0] ?? null;
        if (focus && inProgress && !presetPicked.value) followRun(focus);
        if (focus && !datasetChosen.value) datasetId.value = focus.datasetId;
        if (focus && selectedId.value === null) await select(focus.id);
        syncSubscription();
      } catch (err) {
        app.reportError(err, 'Could not load training runs');
      } finally {
        loading.value = false;
      }
    })();
    return loaded;
  }

  /** The form shows a run's settings: its dataset, and every value it trains with (presets' hidden ones too). */
  function followRun(run: Run) {
    const config = runSettings(run) as Record<string, unknown>;
    form.value = formFromConfig(runSettings(run), DEFAULT_FORM);
    presetConfig.value = Object.fromEntries(
      SETTINGS.filter((k) => config[k] !== undefined && config[k] !== null).map((k) => [k, config[k]]),
    ) as TrainConfigInput;
    presetId.value = presets.value.find((p) => formMatches(p))?.id ?? null;
    presetPicked.value = true;
    datasetId.value = run.datasetId;
  }

  const formMatches = (preset: Preset) => matchesPreset(form.value, preset);

  /** The person picked the dataset to train on; from now on it stays theirs. */
  function chooseDataset(id: number | null) {
    datasetId.value = id;
    datasetChosen.value = id !== null;
  }

  /** Whether the person picked a preset; until then the form follows the dataset (suggestPresetFor). */
  const presetPicked = ref(false);

  function applyPreset(id: string, byPerson = true) {
    const preset = presets.value.find((p) => p.id === id);
    if (!preset) return;
    presetPicked.value ||= byPerson;
    presetId.value = id;
    presetConfig.value = preset.config;
    // A preset is a recipe: the device the person picked for this machine stays.
    form.value = { ...formFromConfig(preset.config, DEFAULT_FORM), device: form.value.device };
  }

  /**
   * The preset that suits a dataset, until the person picks one: CIFAR-10 gets "Fast CIFAR"; a
   * person's own folder (a few dozen images per class) gets "Small image folder", whose many short
   * epochs give a from-scratch model enough steps to learn.
   */
  function suggestPresetFor(kind: 'cifar10' | 'folder') {
    if (presetPicked.value) return;
    const id = kind === 'folder' ? 'small-folder' : 'fast-cifar';
    if (presets.value.some((p) => p.id === id)) applyPreset(id, false);
  }

  function resetLive() {
    batches.value = [];
    epochs.value = [];
    lastBatch.value = null;
  }

  /** Shows a run: its stored epoch history now, and its batches from here on if it is running. */
  async function select(id: number) {
    if (selectedId.value !== id) resetLive();
    selectedId.value = id;
    try {
      const { epochMetrics: history, stepMetrics, ...run } = await api.invoke('runs.get', { id });
      upsert(run);
      if (selectedId.value === id) {
        const seen = new Set(epochs.value.map((e) => e.epoch));
        epochs.value = [...history.filter((e) => !seen.has(e.epoch)), ...epochs.value].sort((a, b) => a.epoch - b.epoch);
        // The steps drawn before this page opened, then those that arrived while they were fetched.
        if (stepMetrics?.length) {
          batches.value = joinSteps(stepMetrics.map(toPoint), batches.value);
          if (isActive(run) && !lastBatch.value) lastBatch.value = stepMetrics[stepMetrics.length - 1];
        }
      }
    } catch (err) {
      app.reportError(err, 'Could not load the run');
    }
  }

  function onBatch(event: Payload<'training.batch'>) {
    if (event.runId !== selectedId.value) return;
    const { runId: _runId, ...batch } = event;
    lastBatch.value = batch;
    // A new array per step (charts compare props by identity), thinned like the server's history.
    batches.value = appendStep(batches.value, toPoint(batch));
  }

  function onEpoch(event: Payload<'training.epoch'>) {
    const { runId, ...metrics } = event;
    const run = runs.value.find((r) => r.id === runId);
    if (run) {
      const best = Math.max(run.bestValAccuracy ?? 0, metrics.valAccuracy);
      upsert({ ...run, epochsCompleted: metrics.epoch, bestValAccuracy: best });
    }
    if (runId !== selectedId.value) return;
    epochs.value = [...epochs.value.filter((e) => e.epoch !== metrics.epoch), metrics].sort((a, b) => a.epoch - b.epoch);
  }

  function onStatus(event: Payload<'training.status'>) {
    const before = runs.value.find((r) => r.id === event.runId);
    upsert(event.run);
    if (before?.status !== event.run.status) {
      if (event.run.status === 'failed') app.reportError(new Error(event.run.error ?? 'unknown error'), `${runName(event.run)} failed`);
      if (event.run.status === 'completed') app.notify(`${runName(event.run)} finished.`, 'success');
      if (event.run.status === 'diverged') app.reportError(new Error(event.run.error ?? 'the training loss ran away'), `${runName(event.run)} diverged`);
    }
    syncSubscription();
  }

  /** Listens while the Training view is open or any run is active; stops listening otherwise. */
  function syncSubscription() {
    const needed = viewers > 0 || activeRuns.value.length > 0;
    if (needed && !unsubscribe) {
      const offs = [api.subscribe('training.batch', onBatch), api.subscribe('training.epoch', onEpoch), api.subscribe('training.status', onStatus)];
      unsubscribe = () => offs.forEach((off) => off());
    } else if (!needed && unsubscribe) {
      unsubscribe();
      unsubscribe = null;
    }
  }

  function watchLive() {
    viewers++;
    syncSubscription();
  }

  function unwatchLive() {
    viewers = Math.max(0, viewers - 1);
    syncSubscription();
  }

  /**
   * Starts a run on the chosen dataset, or puts it in line behind the run in training (the server
   * decides; the toast says which). Waits for a load in progress; bad settings are shown beside
   * their fields, so nothing is sent.
   */
  async function start(name?: string) {
    if (loaded) await loaded;
    if (datasetId.value === null) {
      app.reportError(new Error('Choose a dataset to train on first.'));
      return null;
    }
    const { config, errors } = configFromForm(form.value, presetConfig.value);
    if (Object.keys(errors).length > 0) return null;
    starting.value = true;
    viewers++;
    syncSubscription();
    const input = name?.trim() ? { datasetId: datasetId.value, config, name: name.trim() } : { datasetId: datasetId.value, config };
    const ahead = training.value;
    const onStarted = (run: Run) => {
      upsert(runs.value.find((r) => r.id === run.id && r.status !== 'queued') ?? run);
      if (run.queuePosition)
        app.notify(
          `“${run.name}” is queued (${ordinal(run.queuePosition)} in line): it starts when ${ahead ? `“${ahead.name}”` : 'the run in training'} ends.`,
          'info',
        );
      resetLive();
      selectedId.value = run.id;
    };
    // The listeners above drop the new run's steps until it is selected; followNewRun keeps those
    // sent before the answer and replays them after onStarted, then the listeners take over
    // (a step seen twice is drawn once: appendStep and the epoch list replace equal positions).
    const job = followNewRun(api, input, { 'training.batch': onBatch, 'training.epoch': onEpoch }, onStarted);
    try {
      return await job.started;
    } catch (err) {
      app.reportError(err, 'Could not start training');
      return null;
    } finally {
      job.stop();
      starting.value = false;
      viewers--;
      syncSubscription();
    }
  }

  async function control(method: 'training.stop' | 'training.resume', runId: number) {
    try {
      const ahead = training.value;
      const run = await api.invoke(method, { runId });
      upsert(run);
      if (method === 'training.resume') lastBatch.value = null;
      if (method === 'training.resume' && run.queuePosition)
        app.notify(
          `“${run.name}” is queued (${ordinal(run.queuePosition)} in line): it resumes when ${ahead ? `“${ahead.name}”` : 'the run in training'} ends.`,
          'info',
        );
      syncSubscription();
    } catch (err) {
      app.reportError(err, method === 'training.stop' ? 'Could not stop the run' : 'Could not resume the run');
    }
  }

  /** "Retrain with new labels": the run's own settings, starting from its weights, on the labels as they are now. */
  async function retrainFrom(run: Run) {
    followRun(run);
    form.value = { ...form.value, init: run.id };
    return start();
  }

  return {
    runs,
    presets,
    presetId,
    form,
    fieldErrors,
    loading,
    datasetId,
    chooseDataset,
    training,
    waitingCount,
    selectedId,
    selected,
    batches,
    epochs,
    lastBatch,
    progress,
    starting,
    activeRuns,
    isActive,
    load,
    applyPreset,
    suggestPresetFor,
    select,
    watchLive,
    unwatchLive,
    start,
    retrainFrom,
    stop: (runId: number) => control('training.stop', runId),
    resume: (runId: number) => control('training.resume', runId),
  };
});

/** 1st, 2nd, 3rd, 4th… for a place in line. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
}
