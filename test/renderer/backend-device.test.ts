import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/App.vue';
import { appInfo, fakeServer, installStores, makeDataset, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

const cpu = { name: 'cpu' as const, available: true, adapter: 'AMD EPYC', software: false, reason: '' };
const noCuda = { name: 'cuda' as const, available: false, adapter: '', software: false, reason: "onnxruntime-node's CUDA provider is not installed" };

describe('Backend indicator: ONNX Runtime device', () => {
  it('names the device the jobs run on, and why a GPU is not used one click away', async () => {
    server = fakeServer({
      'app.info': () => appInfo,
      'datasets.list': () => [makeDataset()],
      'images.list': () => ({ total: 0, items: [] }),
      'runs.list': () => [],
      'presets.list': () => [],
    });
    const wrapper = mount(App, { ...mountOptions(server.client, installStores(server.client)), attachTo: document.body });
    await settle();
    const webgpu = { name: 'webgpu' as const, available: true, adapter: 'NVIDIA', software: false, reason: '' };
    server.router.emit('app.backend', {
      backend: { name: 'wasm', threads: 2, notLoaded: [], onnxRuntime: '1.30.0', devices: [noCuda, webgpu, cpu], device: 'webgpu' },
    });
    await settle();
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('ONNX Runtime · WebGPU (NVIDIA) · WebAssembly · 2 threads');

    const swift = { name: 'webgpu' as const, available: true, adapter: 'SwiftShader', software: true, reason: 'SwiftShader is a software adapter' };
    server.router.emit('app.backend', {
      backend: { name: 'wasm', threads: 2, notLoaded: [], onnxRuntime: '1.30.0', devices: [noCuda, swift, cpu], device: 'cpu' },
    });
    await settle();
    expect(wrapper.get('[data-testid="backend-name"]').text()).toBe('ONNX Runtime · CPU · WebAssembly · 2 threads');
    await wrapper.get('[data-testid="backend-warning"]').trigger('click');
    const details = wrapper.get('[data-testid="backend-warning-details"]').text();
    expect(details).toContain('CUDA provider is not installed');
    expect(details).toContain('SwiftShader is a software adapter');
    wrapper.unmount();
  });
});
