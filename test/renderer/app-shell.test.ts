import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { Handlers } from '../../src-main/contract';
import App from '../../src-renderer/App.vue';
import { appInfo, fakeServer, installStores, makeDataset, makeEvaluation, makeRun, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => {
  server?.close();
  history.replaceState(null, '', '/');
});

async function mountApp(handlers: Partial<Handlers> = {}) {
  server = fakeServer({
    'app.info': () => appInfo,
    'datasets.list': () => [makeDataset()],
    'images.list': () => ({ total: 0, items: [] }),
    'audit.get': () => null,
    'runs.list': () => [makeRun({ id: 2, status: 'completed', checkpointDir: '/runs/2', bestValAccuracy: 0.8, epochsCompleted: 2 })],
    'runs.get': ({ id }) => ({ ...makeRun({ id, status: 'completed', checkpointDir: '/runs/2' }), epochMetrics: [] }),
    'presets.list': () => [],
    'evaluation.listForRun': ({ runId }) => [makeEvaluation({ runId })],
    ...handlers,
  });
  const pinia = installStores(server.client);
  const wrapper = mount(App, { ...mountOptions(server.client, pinia), attachTo: document.body });
  await settle();
  return wrapper;
}

describe('App shell', () => {
  it('shows the backend with its threads and why the GPU backend did not load', async () => {
    const wrapper = await mountApp();
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('WebAssembly · 2 threads');
    const badge = wrapper.get('[data-testid="backend-warning"]');
    // A machine without CUDA is the usual case: a neutral note, not an amber alarm.
    expect(badge.text()).toBe('Why not GPU?');
    await badge.trigger('click');
    expect(wrapper.get('[data-testid="backend-warning-details"]').text()).toContain('libcudart.so.11.0: cannot open shared object file');
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await settle();
    expect(wrapper.find('[data-testid="backend-warning-details"]').exists()).toBe(false);
    await badge.trigger('click');
    expect(wrapper.find('[data-testid="backend-warning-details"]').exists()).toBe(true);
    document.body.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    await settle();
    expect(wrapper.find('[data-testid="backend-warning-details"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('updates the indicator when the ML host reports its backend', async () => {
    const wrapper = await mountApp({ 'app.info': () => ({ ...appInfo, backend: null }) });
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('Backend starts with the first job');
    server.router.emit('app.backend', { backend: { name: 'tensorflow-gpu', threads: 0, notLoaded: [] } });
    await settle();
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('TensorFlow GPU (CUDA)');
    expect(wrapper.find('[data-testid="backend-warning"]').exists()).toBe(false);
    // ONNX Runtime runs the jobs beside WebAssembly, but not beside native TensorFlow.
    server.router.emit('app.backend', { backend: { name: 'wasm', threads: 2, notLoaded: [], onnxRuntime: '1.30.0' } });
    await settle();
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('ONNX Runtime · WebAssembly · 2 threads');
    expect(wrapper.get('[data-testid="backend-name"]').element.parentElement?.getAttribute('title')).toContain('run on ONNX Runtime 1.30.0');
    server.router.emit('app.backend', { backend: { name: 'tensorflow', threads: 0, notLoaded: [], onnxRuntime: '1.30.0' } });
    await settle();
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('TensorFlow (native CPU)');
    wrapper.unmount();
  });

  it('switches between the five views from the sidebar and keeps the view in the address', async () => {
    const wrapper = await mountApp();
    for (const view of ['labeling', 'training', 'evaluation', 'prediction', 'datasets']) {
      await wrapper.get(`[data-testid="nav-${view}"]`).trigger('click');
      await settle();
      expect(wrapper.find(`[data-testid="view-${view}"]`).exists()).toBe(true);
      expect(location.hash).toBe(`#/${view}`);
    }
    wrapper.unmount();
  });

  it('opens the evaluation of the first trained run with its matrix and metrics', async () => {
    const wrapper = await mountApp();
    await wrapper.get('[data-testid="nav-evaluation"]').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="metric-top1"]').text()).toBe('75.0%');
    expect(wrapper.findAll('[data-testid="cm-cell"]')).toHaveLength(4);
    wrapper.unmount();
  });

  it('says so in the window when the backend cannot be reached', async () => {
    const wrapper = await mountApp({
      'app.info': () => {
        throw new Error('database is locked');
      },
    });
    expect(wrapper.get('[data-testid="app-error"]').text()).toContain('Could not reach the ShuffleNet Studio backend: database is locked');
    expect(wrapper.findAll('[data-testid="toast"]').map((t) => t.attributes('data-kind'))).toEqual(['error']);
    wrapper.unmount();
  });
});
