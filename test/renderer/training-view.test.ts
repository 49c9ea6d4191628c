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
      'runs.get': ({ id }) => ({ ...makeRun({ id, status: 'failed', error: 'The ML host exited with code 134', epochsCompleted: 1, epochs: 2 }), epochMetrics: [] }),
    });
    await useRunsStore().load();
    await settle();
    expect(wrapper.get('[data-testid="run-error"]').text()).toContain('The ML host exited with code 134');
    expect(wrapper.find('[data-testid="resume-run"]').exists()).toBe(true);
  });

  it('explains why Train is disabled for a dataset without two labeled classes', async () => {
    const wrapper = await mountTraining({ 'datasets.list': () => [makeDataset({ classes: [{ id: 1, name: 'cat', count: 4 }] })] });
    expect(wrapper.get('[data-testid="train-button"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="train-blocked"]').text()).toBe('This dataset needs labeled images in at least two classes.');
  });
});
