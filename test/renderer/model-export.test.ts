import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type Handlers, type ModelExport } from '../../src-main/contract';
import type { Run } from '../../src-renderer/api/types';
import ModelExportPanel from '../../src-renderer/components/ModelExport.vue';
import { useAppStore } from '../../src-renderer/stores/app';
import { appInfo, fakeServer, installStores, makeRun, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

const trained = makeRun({ id: 4, name: 'pets', status: 'completed', epochsCompleted: 2, checkpointDir: '/data/runs/4/checkpoints/epoch-0002' });

function onnxResult(overrides: Partial<ModelExport> = {}): ModelExport {
  return {
    runId: 4,
    format: 'onnx',
    dir: '/data/runs/4/exports/onnx',
    checkpoint: { dir: '/data/runs/4/checkpoints/epoch-0002', epoch: 2 },
    files: [{ name: 'pets.onnx', path: '/data/runs/4/exports/onnx/pets.onnx', bytes: 280_000, downloadUrl: '/api/exports/4/onnx/pets.onnx?token=t' }],
    archiveUrl: null,
    check: { count: 8, maxAbsError: 1e-6, relativeError: 3.5e-7, top1Agreement: 1 },
    createdAt: new Date(0).toISOString(),
    ...overrides,
  };
}

async function mountPanel(run: Run, handlers: Partial<Handlers>, nativeDialogs = false) {
  server = fakeServer({ 'app.info': () => ({ ...appInfo, capabilities: { nativeDialogs, upload: !nativeDialogs } }), ...handlers });
  const pinia = installStores(server.client);
  await useAppStore().loadInfo();
  const wrapper = mount(ModelExportPanel, { props: { run }, ...mountOptions(server.client, pinia) });
  await settle();
  return wrapper;
}

describe('ModelExport', () => {
  it('disables both buttons with a reason while the run has no checkpoint or is training', async () => {
    const wrapper = await mountPanel(makeRun({ id: 4, status: 'failed', checkpointDir: null }), {});
    for (const id of ['export-onnx', 'export-tfjs']) {
      const button = wrapper.get(`[data-testid="${id}"]`);
      expect(button.attributes('disabled')).toBeDefined();
      expect(button.element.parentElement?.getAttribute('title')).toBe('This run has no checkpoint yet: train at least one epoch first.');
    }
    await wrapper.setProps({ run: { ...trained, status: 'running' } });
    expect(wrapper.get('[data-testid="export-onnx"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="export-onnx"]').element.parentElement?.getAttribute('title')).toBe('Export once training stops or finishes.');
    await wrapper.setProps({ run: trained });
    expect(wrapper.get('[data-testid="export-onnx"]').attributes('disabled')).toBeUndefined();
  });

  it('exports ONNX in the browser: busy while it runs, then the file with its size, link and check', async () => {
    let finish: (value: ModelExport) => void = () => {};
    const wrapper = await mountPanel(trained, { 'runs.export': () => new Promise<ModelExport>((resolve) => (finish = resolve)) });
    await wrapper.get('[data-testid="export-onnx"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'runs.export')?.input).toEqual({ runId: 4, format: 'onnx' });
    expect(wrapper.get('[data-testid="export-onnx"]').text()).toBe('Exporting ONNX…');
    expect(wrapper.get('[data-testid="export-onnx"]').attributes('aria-busy')).toBe('true');
    expect(wrapper.get('[data-testid="export-tfjs"]').attributes('disabled')).toBeDefined();

    finish(onnxResult());
    await settle();
    expect(wrapper.get('[data-testid="export-onnx"]').text()).toBe('Export ONNX');
    const result = wrapper.get('[data-testid="export-result-onnx"]');
    expect(result.text()).toContain('epoch 2 checkpoint');
    expect(result.get('[data-testid="export-file"]').text()).toContain('273.4 KB');
    const link = result.get('[data-testid="export-download"]');
    expect(link.text()).toBe('pets.onnx');
    expect(link.attributes('href')).toBe('/api/exports/4/onnx/pets.onnx?token=t');
    expect(link.attributes('download')).toBeDefined();
    expect(result.get('[data-testid="export-check"]').text()).toBe('Matches TensorFlow.js on 8 random inputs (max relative error 3.5e-7)');
    expect(result.find('[data-testid="export-reveal"]').exists()).toBe(false);
  });

  it('offers the TensorFlow.js files one by one and as one archive, with their check', async () => {
    const files = ['model.json', 'preprocessing.json', 'weights.bin'].map((name, i) => ({
      name,
      path: `/data/runs/4/exports/tfjs/${name}`,
      bytes: 1000 * (i + 1),
      downloadUrl: `/api/exports/4/tfjs/${name}?token=t`,
    }));
    const wrapper = await mountPanel(trained, {
      'runs.export': () => onnxResult({ format: 'tfjs', dir: '/data/runs/4/exports/tfjs', files, archiveUrl: '/api/exports/4/tfjs.tar.gz?token=t' }),
    });
    await wrapper.get('[data-testid="export-tfjs"]').trigger('click');
    await settle();
    const result = wrapper.get('[data-testid="export-result-tfjs"]');
    expect(result.findAll('[data-testid="export-download"]').map((a) => a.text())).toEqual(['model.json', 'preprocessing.json', 'weights.bin']);
    expect(result.get('[data-testid="export-archive"]').attributes('href')).toBe('/api/exports/4/tfjs.tar.gz?token=t');
    expect(result.get('[data-testid="export-check"]').text()).toBe(
      "Loads with tf.loadGraphModel and matches the app's model on 8 random inputs (max relative error 3.5e-7)",
    );
  });

  it('in the desktop app asks for a folder first, writes there and shows it in the file manager', async () => {
    const wrapper = await mountPanel(
      trained,
      {
        'dialogs.openFolder': () => ({ path: '/home/me/models' }),
        'runs.export': ({ destDir }) =>
          onnxResult({ dir: destDir, files: [{ name: 'pets.onnx', path: `${destDir}/pets.onnx`, bytes: 10, downloadUrl: null }] }),
        'dialogs.showInFolder': () => ({}),
      },
      true,
    );
    await wrapper.get('[data-testid="export-onnx"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'runs.export')?.input).toEqual({ runId: 4, format: 'onnx', destDir: '/home/me/models' });
    const result = wrapper.get('[data-testid="export-result-onnx"]');
    expect(result.find('[data-testid="export-download"]').exists()).toBe(false);
    expect(result.get('[data-testid="export-dir"]').text()).toBe('/home/me/models');
    await result.get('[data-testid="export-reveal"]').trigger('click');
    await settle();
    expect(server.calls.at(-1)).toEqual({ method: 'dialogs.showInFolder', input: { path: '/home/me/models/pets.onnx' } });
  });

  it('does nothing when the folder dialog is cancelled', async () => {
    const wrapper = await mountPanel(trained, { 'dialogs.openFolder': () => ({ path: null }), 'runs.export': () => onnxResult() }, true);
    await wrapper.get('[data-testid="export-tfjs"]').trigger('click');
    await settle();
    expect(server.calls.some((c) => c.method === 'runs.export')).toBe(false);
    expect(wrapper.find('[data-testid="export-result-tfjs"]').exists()).toBe(false);
  });

  it('shows a failed export as an error banner beside the buttons and as a toast', async () => {
    const wrapper = await mountPanel(trained, {
      'runs.export': () => {
        throw new ApiError('user-error', 'Run 4 has no checkpoint yet; train at least one epoch first');
      },
    });
    await wrapper.get('[data-testid="export-onnx"]').trigger('click');
    await settle();
    const message = 'Could not export the ONNX model: Run 4 has no checkpoint yet; train at least one epoch first';
    expect(wrapper.get('[data-testid="export-error"]').text()).toBe(message);
    expect(useAppStore().toasts.map((t) => t.message)).toContain(message);
    expect(wrapper.get('[data-testid="export-onnx"]').attributes('disabled')).toBeUndefined();
  });
});
