import { afterEach, describe, expect, it } from 'vitest';
import type { Preset, Run } from '../../src-renderer/api/types';
import { useAppStore } from '../../src-renderer/stores/app';
import { useRunsStore } from '../../src-renderer/stores/runs';
import { configFromForm, DEFAULT_FORM } from '../../src-renderer/stores/training-config';
import { fakeServer, installStores, makeRun, settle, type FakeServer } from './support';

const fullConfig = {
  scale: 1,
  groups: 3,
  stem: 'cifar',
  inputSize: 32,
  epochs: 3,
  batchSize: 64,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 0.0005,
  labelSmoothing: 0.1,
  warmupEpochs: 1,
  seed: 7,
  validationFraction: 0.2,
  keepCheckpoints: 2,
  microBatchSize: 'auto',
  augment: true,
} as const;

const presets: Preset[] = [
  { id: 'fast-cifar', name: 'Fast CIFAR', description: 'cifar stem at 32', config: fullConfig },
  {
    id: 'mindspore-tutorial',
    name: 'MindSpore tutorial',
    description: '2.0x, groups 3, 224',
    config: { ...fullConfig, scale: 2, stem: 'imagenet', inputSize: 224, batchSize: 128 },
  },
  { id: 'small-folder', name: 'Small image folder', description: 'many short epochs', config: { ...fullConfig, scale: 0.25, epochs: 30, batchSize: 16 } },
];

let server: FakeServer;
afterEach(() => server?.close());

/** A server whose training.start emits the run's first events before it answers, as a fast host can. */
function trainingServer(runs: Run[] = []) {
  let next = 10;
  server = fakeServer({
    'runs.list': () => runs,
    'presets.list': () => presets,
    'runs.get': ({ id }) => ({ ...(runs.find((r) => r.id === id) ?? makeRun({ id })), epochMetrics: [] }),
    'training.start': ({ datasetId, config, name }) => {
      const run = makeRun({ id: next++, datasetId, name: name ?? 'unnamed', config, status: 'running', epochs: config.epochs ?? 1 });
      server.router.emit('training.batch', { runId: run.id, epoch: 1, step: 1, stepsPerEpoch: 4, loss: 2.3, accuracy: 0.1, lr: 0.01, imagesPerSec: 100 });
      return run;
    },
    'training.stop': ({ runId }) => makeRun({ id: runId, status: 'stopping' }),
  });
  installStores(server.client);
  return useRunsStore();
}

describe('useRunsStore', () => {
  it('follows the dataset with its preset until the person picks one', async () => {
    const runs = trainingServer();
    await runs.load();
    runs.suggestPresetFor('folder');
    expect(runs.presetId).toBe('small-folder');
    expect(runs.form.batchSize).toBe(16);
    runs.suggestPresetFor('cifar10');
    expect(runs.presetId).toBe('fast-cifar');
    runs.applyPreset('mindspore-tutorial');
    runs.suggestPresetFor('folder');
    expect(runs.presetId).toBe('mindspore-tutorial');
  });

  it('loads runs and presets and fills the form from the first preset', async () => {
    const runs = trainingServer([makeRun({ id: 3, status: 'completed', epochsCompleted: 2 })]);
    await runs.load();
    expect(runs.presets.map((p) => p.id)).toEqual(['fast-cifar', 'mindspore-tutorial', 'small-folder']);
    expect(runs.form.batchSize).toBe(64);
    expect(runs.selectedId).toBe(3);
    runs.applyPreset('mindspore-tutorial');
    expect(runs.form).toMatchObject({ scale: 2, groups: 3, stem: 'imagenet', inputSize: 224, batchSize: 128 });
  });

  it('starts a run, keeps the events that came before its id, and follows batches and epochs', async () => {
    const runs = trainingServer();
    await runs.load();
    runs.watchLive();
    runs.form = { ...runs.form, epochs: 2, batchSize: 8, limit: 40 };
    runs.chooseDataset(1);
    const run = await runs.start('quick');
    expect(run?.name).toBe('quick');
    const start = server.calls.find((c) => c.method === 'training.start')?.input as { config: Record<string, unknown> };
    expect(start.config).toMatchObject({ epochs: 2, batchSize: 8, limit: 40 });
    expect(runs.batches).toEqual([{ x: 0.25, epoch: 1, step: 1, stepsPerEpoch: 4, loss: 2.3, accuracy: 0.1, lr: 0.01 }]);

    server.router.emit('training.batch', { runId: run!.id, epoch: 2, step: 2, stepsPerEpoch: 4, loss: 1.5, accuracy: 0.5, lr: 0.05, imagesPerSec: 80 });
    server.router.emit('training.epoch', {
      runId: run!.id,
      epoch: 1,
      epochs: 2,
      trainLoss: 2,
      trainAccuracy: 0.3,
      valLoss: 1.8,
      valAccuracy: 0.4,
      valTop5: 1,
      lr: 0.05,
      elapsedSec: 3,
      etaSec: 3,
    });
    server.router.emit('training.batch', { runId: 999, epoch: 1, step: 1, stepsPerEpoch: 4, loss: 9, accuracy: 0, lr: 1, imagesPerSec: 1 });
    await settle();
    expect(runs.batches.map((b) => b.x)).toEqual([0.25, 1.5]);
    expect(runs.epochs.map((e) => e.valAccuracy)).toEqual([0.4]);
    expect(runs.selected?.bestValAccuracy).toBe(0.4);
    // Epoch 2 of 2, step 2 of 4: 6 of 8 steps done; 2 steps x 8 images at 80 images/s remain.
    expect(runs.progress).toMatchObject({ epoch: 2, step: 2, stepsPerEpoch: 4, fraction: 0.75, etaSec: 0.2 });
    runs.unwatchLive();
  });

  it('two starts at once: each keeps its own early steps, no error, the later one shown', async () => {
    const runs = trainingServer();
    await runs.load();
    runs.watchLive();
    runs.chooseDataset(1);
    // Both requests are out before either answer: each run's first step arrives before its id is known.
    const [first, second] = await Promise.all([runs.start('first'), runs.start('second')]);
    expect([first?.id, second?.id]).toEqual([10, 11]);
    expect(useAppStore().toasts.filter((t) => t.kind === 'error')).toEqual([]);
    expect(runs.selectedId).toBe(11);
    expect(runs.batches).toEqual([{ x: 0.25, epoch: 1, step: 1, stepsPerEpoch: 4, loss: 2.3, accuracy: 0.1, lr: 0.01 }]);
    // The start's own listeners are gone: a later step is drawn once, by the store's listeners.
    server.router.emit('training.batch', { runId: 11, epoch: 1, step: 2, stepsPerEpoch: 4, loss: 2, accuracy: 0.2, lr: 0.02, imagesPerSec: 100 });
    await settle();
    expect(runs.batches.map((b) => b.x)).toEqual([0.25, 0.5]);
    runs.unwatchLive();
  });

  it('shows a failed run’s error in the window', async () => {
    const runs = trainingServer([makeRun({ id: 4, status: 'running' })]);
    await runs.load();
    server.router.emit('training.status', { runId: 4, run: makeRun({ id: 4, status: 'failed', error: 'The ML host exited (out of memory)' }) });
    await settle();
    expect(runs.selected?.status).toBe('failed');
    expect(useAppStore().toasts.map((t) => t.message)).toContain('Run “run 1” failed: The ML host exited (out of memory)');
  });

  it('stops listening when no view watches and no run is active', async () => {
    const runs = trainingServer([makeRun({ id: 5, status: 'completed' })]);
    await runs.load();
    runs.watchLive();
    runs.unwatchLive();
    server.router.emit('training.epoch', {
      runId: 5,
      epoch: 9,
      epochs: 9,
      trainLoss: 1,
      trainAccuracy: 1,
      valLoss: 1,
      valAccuracy: 1,
      valTop5: 1,
      lr: 0,
      elapsedSec: 1,
      etaSec: 0,
    });
    await settle();
    expect(runs.epochs).toEqual([]);
  });

  it('refuses to start with a bad configuration: the contract’s rules, one message per field, nothing sent', async () => {
    const runs = trainingServer();
    await runs.load();
    runs.chooseDataset(1);
    runs.form = { ...runs.form, epochs: 0, lr: -1, momentum: 1, labelSmoothing: 0.6, batchSize: 5000, seed: 1.5, limit: Number.NaN };
    expect(runs.fieldErrors).toEqual({
      epochs: 'Must be at least 1.',
      lr: 'Must be greater than 0.',
      momentum: 'Must be below 1.',
      labelSmoothing: 'Must be at most 0.5.',
      batchSize: 'Must be at most 1024.',
      seed: 'Must be a whole number.',
      limit: 'Enter a number.',
    });
    expect(await runs.start()).toBeNull();
    expect(server.calls.some((c) => c.method === 'training.start')).toBe(false);
    expect(useAppStore().toasts).toEqual([]);
    // The ImageNet stem's five stride-2 stages need 32 px; the cifar stem takes 16.
    runs.form = { ...DEFAULT_FORM, stem: 'imagenet', inputSize: 16 };
    expect(runs.fieldErrors).toEqual({ inputSize: 'The ImageNet stem needs an input of at least 32 px.' });
    runs.form = { ...DEFAULT_FORM, stem: 'cifar', inputSize: 16 };
    expect(runs.fieldErrors).toEqual({});
  });

  it('after a reload shows the run in progress: its dataset, its settings in the form, and every step drawn so far', async () => {
    const config = { ...fullConfig, scale: 0.25 as const, epochs: 400, batchSize: 16, keepCheckpoints: 2, zeroInitBranches: true };
    const steps = Array.from({ length: 12 }, (_, i) => ({
      epoch: Math.floor(i / 4) + 1,
      step: (i % 4) + 1,
      stepsPerEpoch: 4,
      loss: 2 - i / 10,
      accuracy: i / 20,
      lr: 0.01 * (i + 1),
      imagesPerSec: 90,
    }));
    const running = makeRun({ id: 7, datasetId: 2, status: 'running', config, epochs: 30, epochsCompleted: 2 });
    server = fakeServer({
      'runs.list': () => [running, makeRun({ id: 6, datasetId: 1, status: 'completed' })],
      'presets.list': () => presets,
      'runs.get': ({ id }) => ({ ...running, id, epochMetrics: [], stepMetrics: steps }),
      'training.start': ({ datasetId, config }) => makeRun({ id: 8, datasetId, config, status: 'queued', queuePosition: 1 }),
    });
    installStores(server.client);
    const runs = useRunsStore();
    runs.watchLive();
    // The app loads once at start and the Training view again when it opens.
    await runs.load();
    await runs.load();
    expect(runs.selectedId).toBe(7);
    expect(runs.datasetId).toBe(2);
    // A custom config (no preset matches) stays: the second load does not put a preset over it.
    expect(runs.form).toMatchObject({ scale: 0.25, epochs: 400, batchSize: 16, lr: 0.1 });
    expect(runs.presetId).toBeNull();
    expect(runs.batches.map((b) => b.lr)).toEqual(steps.map((b) => b.lr));
    expect(runs.progress).toMatchObject({ epoch: 3, step: 4, imagesPerSec: 90 });
    // The next live step continues the same curve.
    server.router.emit('training.batch', { runId: 7, epoch: 4, step: 1, stepsPerEpoch: 4, loss: 0.5, accuracy: 0.8, lr: 0.2, imagesPerSec: 95 });
    await settle();
    expect(runs.batches.map((b) => b.x)).toEqual([...steps.map((b) => b.epoch - 1 + b.step / 4), 3.25]);
    // Values the form does not show go with the next run too (checkpoints kept, zero-init branches).
    await runs.start();
    const start = server.calls.find((c) => c.method === 'training.start')?.input as { datasetId: number; config: Record<string, unknown> };
    expect(start).toMatchObject({ datasetId: 2, config: { batchSize: 16, keepCheckpoints: 2, zeroInitBranches: true } });
    runs.unwatchLive();
  });

  it('fills the form from what a started run trains with (its resolved config), not only what it asked for', async () => {
    const asked = { ...fullConfig, init: 'pretrained' as const, scale: 0.25 as const, epochs: 40 };
    const running = makeRun({ id: 7, status: 'running', config: asked, resolvedConfig: { ...asked, scale: 1 }, epochs: 40 });
    server = fakeServer({ 'runs.list': () => [running], 'presets.list': () => presets, 'runs.get': () => ({ ...running, epochMetrics: [], stepMetrics: [] }) });
    installStores(server.client);
    const runs = useRunsStore();
    await runs.load();
    expect(runs.form).toMatchObject({ init: 'pretrained', scale: 1, epochs: 40 });
  });

  it('says that a run pressed while another trains is queued, and waits for a load in progress', async () => {
    const ahead = makeRun({ id: 3, name: 'first', status: 'running' });
    let answerList: (runs: Run[]) => void = () => undefined;
    server = fakeServer({
      'runs.list': () => new Promise<Run[]>((resolve) => (answerList = resolve)),
      'presets.list': () => presets,
      'runs.get': ({ id }) => ({ ...(id === 3 ? ahead : makeRun({ id })), epochMetrics: [] }),
      'training.start': ({ datasetId, config }) => makeRun({ id: 4, datasetId, name: 'second', config, status: 'queued', queuePosition: 1 }),
    });
    installStores(server.client);
    const runs = useRunsStore();
    const loading = runs.load();
    runs.chooseDataset(1);
    const started = runs.start();
    await settle();
    expect(runs.loading).toBe(true);
    expect(server.calls.some((c) => c.method === 'training.start')).toBe(false);
    answerList([ahead]);
    await loading;
    const run = await started;
    expect(run).toMatchObject({ id: 4, queuePosition: 1 });
    expect(useAppStore().toasts.map((t) => t.message)).toContain('“second” is queued (1st in line): it starts when “first” ends.');
  });

  it('reports a server refusal as a toast with the server’s message', async () => {
    server = fakeServer({
      'training.start': () => {
        throw new Error('Dataset 1 has fewer than two labeled classes');
      },
    });
    installStores(server.client);
    const runs = useRunsStore();
    runs.chooseDataset(1);
    expect(await runs.start()).toBeNull();
    expect(useAppStore().toasts[0]).toMatchObject({
      kind: 'error',
      code: 'internal',
      message: 'Could not start training: Dataset 1 has fewer than two labeled classes',
    });
  });
});

describe('configFromForm', () => {
  it('leaves out limit 0 and device auto, and keeps every other field', () => {
    const { config, errors } = configFromForm(DEFAULT_FORM);
    expect(errors).toEqual({});
    expect(config).not.toHaveProperty('limit');
    // Auto goes out as no device: the ML host's own pick decides (device-select.test.ts).
    expect(config).not.toHaveProperty('device');
    expect(Object.keys(config).sort()).toEqual(
      Object.keys(DEFAULT_FORM)
        .filter((k) => k !== 'limit' && k !== 'device')
        .sort(),
    );
  });
});
