import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { Handlers } from '../../src-main/contract';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { useRunsStore } from '../../src-renderer/stores/runs';
import TrainingView from '../../src-renderer/views/TrainingView.vue';
import { fakeServer, installStores, makeDataset, makeRun, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

async function mountTraining(handlers: Partial<Handlers> = {}) {
  server = fakeServer({
    'datasets.list': () => [makeDataset()],
    'images.list': () => ({ total: 0, items: [] }),
    'runs.list': () => [],
    'presets.list': () => [],
    'runs.get': ({ id }) => ({ ...makeRun({ id, status: 'running' }), epochMetrics: [] }),
    'training.start': ({ config, name }) => makeRun({ id: 8, name: name ?? 'run 8', status: 'running', config, epochs: config.epochs ?? 1 }),
    'training.stop': ({ runId }) => makeRun({ id: runId, status: 'stopping' }),
    ...handlers,
  });
  const pinia = installStores(server.client);
  await useDatasetsStore().load();
  const wrapper = mount(TrainingView, mountOptions(server.client, pinia));
  await settle();
  return wrapper;
}

const batch = (step: number, lr: number) => ({ runId: 8, epoch: 1, step, stepsPerEpoch: 4, loss: 2 - step * 0.1, accuracy: step * 0.1, lr, imagesPerSec: 50 });
const points = (d: string | undefined) => (d ?? '').split(/[ML]/).filter(Boolean).length;

describe('TrainingView', () => {
  it('draws every step on the live charts as events arrive, with progress and a Stop button', async () => {
    const wrapper = await mountTraining();
    await wrapper.get('[data-testid="cfg-epochs"]').setValue('2');
    await wrapper.get('[data-testid="train-button"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'training.start')?.input).toMatchObject({ datasetId: 1, config: { epochs: 2 } });

    const lossPath = () => wrapper.get('[data-testid="loss-chart"] [data-series="step"] path').attributes('d');
    const lrPath = () => wrapper.get('[data-testid="learning-rate-chart"] [data-series="learning rate"] path').attributes('d');
    server.router.emit('training.batch', batch(1, 0.01));
    await settle();
    expect(points(lossPath())).toBe(1);
    server.router.emit('training.batch', batch(2, 0.02));
    server.router.emit('training.batch', batch(3, 0.03));
    await settle();
    expect(points(lossPath())).toBe(3);
    expect(points(lrPath())).toBe(3);
    expect(wrapper.get('[data-testid="training-progress"]').text()).toContain('Epoch 1 / 2 · step 3 / 4');
    expect(wrapper.get('[data-testid="training-progress"]').text()).toContain('50 images/s');

    await wrapper.get('[data-testid="stop-run"]').trigger('click');
    await settle();
    expect(server.calls.at(-1)).toEqual({ method: 'training.stop', input: { runId: 8 } });
    expect(wrapper.get('[data-testid="stop-run"]').text()).toBe('Stopping…');
  });

  it('shows a failed run’s error and offers Resume', async () => {
    const wrapper = await mountTraining({
      'runs.list': () => [makeRun({ id: 3, status: 'failed', error: 'The ML host exited with code 134', epochsCompleted: 1, epochs: 2 })],
      'runs.get': ({ id }) => ({
        ...makeRun({ id, status: 'failed', error: 'The ML host exited with code 134', epochsCompleted: 1, epochs: 2 }),
        epochMetrics: [],
      }),
    });
    await useRunsStore().load();
    await settle();
    expect(wrapper.get('[data-testid="run-error"]').text()).toContain('The ML host exited with code 134');
    expect(wrapper.find('[data-testid="resume-run"]').exists()).toBe(true);
  });

  it('keeps the hyperparameters under a closed Advanced section and shows a bad value beside its field', async () => {
    const wrapper = await mountTraining();
    const advanced = wrapper.get('[data-testid="cfg-advanced"]');
    expect(advanced.attributes('open')).toBeUndefined();
    expect(wrapper.get('[data-testid="train-button"]').attributes('disabled')).toBeUndefined();
    await wrapper.get('[data-testid="cfg-momentum"]').setValue('1');
    await settle();
    // The mistake opens the section, sits beside its field, and Train says why it is off; no toast, no call.
    expect(wrapper.get('[data-testid="cfg-advanced"]').attributes('open')).toBeDefined();
    expect(wrapper.get('[data-testid="cfg-error-momentum"]').text()).toBe('Must be below 1.');
    expect(wrapper.get('[data-testid="cfg-momentum"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="train-button"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="train-blocked"]').text()).toBe('One setting needs a fix (shown in red).');
    await wrapper.get('[data-testid="cfg-epochs"]').setValue('');
    await settle();
    expect(wrapper.get('[data-testid="cfg-error-epochs"]').text()).toBe('Enter a number.');
    expect(wrapper.get('[data-testid="train-blocked"]').text()).toBe('2 settings need a fix (shown in red).');
    await wrapper.get('[data-testid="cfg-momentum"]').setValue('0.9');
    await wrapper.get('[data-testid="cfg-epochs"]').setValue('3');
    await settle();
    expect(wrapper.find('[data-testid="cfg-error-momentum"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="train-blocked"]').exists()).toBe(false);
  });

  it('says that Train queues while a run trains, lists the queued run with its place, and cancels it', async () => {
    const running = makeRun({ id: 3, name: 'first', status: 'running', backend: 'onnx' });
    const queued = makeRun({ id: 4, name: 'second', status: 'queued', queuePosition: 1 });
    const wrapper = await mountTraining({
      'runs.list': () => [queued, running],
      'runs.get': ({ id }) => ({ ...(id === 4 ? queued : running), epochMetrics: [] }),
      'training.stop': ({ runId }) => ({ ...queued, id: runId, status: 'stopped', queuePosition: null }),
    });
    expect(wrapper.get('[data-testid="train-button"]').text()).toBe('Add to queue');
    expect(wrapper.get('[data-testid="train-queue-note"]').text()).toBe(
      '“first” is training: a new run waits its turn (2nd in line) and starts when the runs ahead end.',
    );
    expect(wrapper.get('[data-testid="run-queue-position-4"]').text()).toBe('1st in line');
    expect(wrapper.find('[data-testid="run-queue-position-3"]').exists()).toBe(false);
    await wrapper.get('[data-testid="run-cancel-4"]').trigger('click');
    await settle();
    expect(server.calls.at(-1)).toEqual({ method: 'training.stop', input: { runId: 4 } });
    expect(wrapper.find('[data-testid="run-queue-position-4"]').exists()).toBe(false);
  });

  it('after a reload draws the learning rate of every step so far, not from the reload on', async () => {
    const steps = Array.from({ length: 8 }, (_, i) => ({
      epoch: Math.floor(i / 4) + 1,
      step: (i % 4) + 1,
      stepsPerEpoch: 4,
      loss: 2,
      accuracy: 0.2,
      lr: 0.01 * (i + 1),
      imagesPerSec: 50,
    }));
    const running = makeRun({ id: 8, datasetId: 2, status: 'running', epochs: 4, epochsCompleted: 2, config: { epochs: 4, batchSize: 16 } });
    const wrapper = await mountTraining({
      'datasets.list': () => [makeDataset(), makeDataset({ id: 2, name: 'birds' })],
      'runs.list': () => [running],
      'runs.get': () => ({ ...running, epochMetrics: [], stepMetrics: steps }),
    });
    const lrPath = wrapper.get('[data-testid="learning-rate-chart"] [data-series="learning rate"] path').attributes('d');
    expect(points(lrPath)).toBe(8);
    expect((wrapper.get('[data-testid="train-dataset"]').element as HTMLSelectElement).value).toBe('2');
    expect((wrapper.get('[data-testid="cfg-batch-size"]').element as HTMLInputElement).value).toBe('16');
  });

  it('explains why Train is disabled for a dataset without two labeled classes', async () => {
    const wrapper = await mountTraining({ 'datasets.list': () => [makeDataset({ classes: [{ id: 1, name: 'cat', count: 4 }] })] });
    expect(wrapper.get('[data-testid="train-button"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="train-blocked"]').text()).toBe('This dataset needs labeled images in at least two classes.');
  });
});
