/**
 * The Training form's Device select: shown once the ML host has listed ONNX Runtime's devices,
 * each device that cannot run disabled with why; the choice goes into training.start's config
 * ('auto' as no device, so the ML host's own pick decides), survives a preset and follows a run.
 */
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendInfoView, Preset } from '../../src-renderer/api/types';
import TrainingConfigForm from '../../src-renderer/components/TrainingConfigForm.vue';
import { useAppStore } from '../../src-renderer/stores/app';
import { useRunsStore } from '../../src-renderer/stores/runs';
import { configFromForm, DEFAULT_FORM, matchesPreset, type TrainForm } from '../../src-renderer/stores/training-config';
import { fakeServer, installStores, makeRun, type FakeServer } from './support';

const backend: BackendInfoView = {
  name: 'wasm',
  threads: 2,
  notLoaded: [],
  onnxRuntime: '1.30.0',
  device: 'cpu',
  devices: [
    { name: 'cuda', available: false, adapter: '', software: false, reason: "onnxruntime-node's CUDA provider is not installed" },
    { name: 'webgpu', available: true, adapter: 'SwiftShader', software: true, reason: 'SwiftShader is a software adapter' },
    { name: 'cpu', available: true, adapter: 'Some CPU', software: false, reason: '' },
  ],
};

function mountForm(props: { backend?: BackendInfoView | null }, initial: Partial<TrainForm> = {}) {
  let form: TrainForm = { ...DEFAULT_FORM, ...initial };
  const wrapper = mount(TrainingConfigForm, {
    props: {
      presets: [],
      sources: [],
      ...props,
      modelValue: form,
      'onUpdate:modelValue': (v: TrainForm) => {
        form = v;
        void wrapper.setProps({ modelValue: v });
      },
    },
  });
  return { wrapper, form: () => form };
}

describe('the Device select', () => {
  it('is not shown while the devices are unknown, or where ONNX Runtime does not load', () => {
    expect(mountForm({ backend: null }).wrapper.find('[data-testid="cfg-device"]').exists()).toBe(false);
    const { devices: _none, device: _picked, ...tfjsOnly } = backend;
    expect(
      mountForm({ backend: { ...tfjsOnly, onnxRuntime: null } })
        .wrapper.find('[data-testid="cfg-device"]')
        .exists(),
    ).toBe(false);
  });

  it('lists Auto and each device, a device that cannot run disabled with its reason, and sets the form', async () => {
    const { wrapper, form } = mountForm({ backend });
    const options = wrapper.findAll('[data-testid="cfg-device"] option');
    expect(options.map((o) => [o.attributes('value'), o.text(), o.attributes('disabled') !== undefined])).toEqual([
      ['auto', 'Auto (CPU)', false],
      ['cuda', 'CUDA — not available', true],
      ['webgpu', 'WebGPU (SwiftShader, software: slow)', false],
      ['cpu', 'CPU (Some CPU)', false],
    ]);
    expect(options[1].attributes('title')).toBe("onnxruntime-node's CUDA provider is not installed");
    await wrapper.get('[data-testid="cfg-device"]').setValue('webgpu');
    expect(form().device).toBe('webgpu');
    expect(configFromForm(form()).config.device).toBe('webgpu');
  });

  it('says why when the form names a device that cannot run here (a followed run’s)', () => {
    const { wrapper } = mountForm({ backend }, { device: 'cuda' });
    expect(wrapper.get('[data-testid="cfg-error-device"]').text()).toBe("CUDA cannot run here: onnxruntime-node's CUDA provider is not installed");
  });
});

describe('the device in the config', () => {
  it('Auto sends no device, also over a followed run’s device', () => {
    expect('device' in configFromForm(DEFAULT_FORM).config).toBe(false);
    expect('device' in configFromForm(DEFAULT_FORM, { device: 'webgpu', batchSize: 8 }).config).toBe(false);
    expect(configFromForm({ ...DEFAULT_FORM, device: 'cpu' }, { device: 'webgpu' }).config.device).toBe('cpu');
  });

  it('does not make a preset "Custom"', () => {
    const preset = { id: 'p', name: 'P', description: '', config: configFromForm(DEFAULT_FORM).config } as Preset;
    expect(matchesPreset({ ...DEFAULT_FORM, device: 'webgpu' }, preset)).toBe(true);
    expect(matchesPreset({ ...DEFAULT_FORM, epochs: DEFAULT_FORM.epochs + 1 }, preset)).toBe(false);
  });
});

describe('the runs store', () => {
  let server: FakeServer;
  afterEach(() => server?.close());

  it('follows a run in progress with its device, and keeps the device across presets', async () => {
    // Presets carry every setting (the contract's full schema).
    const full = { ...configFromForm(DEFAULT_FORM).config, keepCheckpoints: 2, microBatchSize: 'auto' } as Preset['config'];
    const presets: Preset[] = [
      { id: 'a', name: 'A', description: '', config: { ...full, epochs: 3 } },
      { id: 'b', name: 'B', description: '', config: { ...full, epochs: 5 } },
    ];
    const training = makeRun({ id: 4, status: 'running', config: { epochs: 2, device: 'webgpu' } });
    server = fakeServer({ 'runs.list': () => [training], 'presets.list': () => presets, 'runs.get': ({ id }) => ({ ...makeRun({ id }), epochMetrics: [] }) });
    installStores(server.client);
    const runs = useRunsStore();
    await runs.load();
    expect(useAppStore().toasts.filter((t) => t.kind === 'error')).toEqual([]);
    // A reload during training shows the run's settings, its device included.
    expect(runs.form.device).toBe('webgpu');
    runs.form = { ...runs.form, device: 'cpu' };
    runs.applyPreset('b');
    expect([runs.form.epochs, runs.form.device, runs.presetId]).toEqual([5, 'cpu', 'b']);
    expect(configFromForm(runs.form).config.device).toBe('cpu');
  });
});
