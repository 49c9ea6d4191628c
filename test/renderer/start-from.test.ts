import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import TrainingConfigForm from '../../src-renderer/components/TrainingConfigForm.vue';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configFromForm, DEFAULT_FORM, PRETRAINED_ARCH, type TrainForm } from '../../src-renderer/stores/training-config';
import { PRETRAINED_NAME } from '../../src-main/engine/checkpoint/pretrained';
import { PRESETS } from '../../src-main/services/presets';
import { makeRun } from './support';

function mountForm(
  sources = [makeRun({ id: 7, name: 'cats v1', status: 'completed', checkpointDir: '/runs/7', config: { scale: 0.25, groups: 2, stem: 'cifar' } })],
) {
  let form: TrainForm = { ...DEFAULT_FORM };
  const wrapper = mount(TrainingConfigForm, {
    props: {
      presets: [],
      sources,
      modelValue: form,
      'onUpdate:modelValue': (v: TrainForm) => {
        form = v;
        void wrapper.setProps({ modelValue: v });
      },
    },
  });
  return { wrapper, form: () => form };
}

describe('Start from', () => {
  it('knows the architecture of the model actually shipped in resources/pretrained/', () => {
    // The renderer cannot read the manifest, so it holds a copy, as does every preset that starts from
    // the pretrained model (a preset's scale that differs is refused when training starts); this keeps
    // the copies true when the model is remade.
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../resources/pretrained', PRETRAINED_NAME, 'manifest.json'), 'utf8'));
    const shipped = { scale: manifest.model.scale, groups: manifest.model.groups, stem: manifest.model.stem };
    expect(PRETRAINED_ARCH).toEqual(shipped);
    const fromPretrained = PRESETS.filter((p) => p.config.init === 'pretrained');
    expect(fromPretrained.map((p) => p.id)).toContain('small-folder');
    for (const p of fromPretrained) expect({ scale: p.config.scale, groups: p.config.groups, stem: p.config.stem }).toEqual(shipped);
  });

  it('takes the pretrained model with its architecture, which the form then keeps fixed', async () => {
    const { wrapper, form } = mountForm();
    await wrapper.get('[data-testid="cfg-init"]').setValue('pretrained');
    expect(form()).toMatchObject({ init: 'pretrained', scale: 1, groups: 3, stem: 'cifar' });
    expect((wrapper.get('[data-testid="cfg-scale"]').element as HTMLSelectElement).disabled).toBe(true);
    expect(configFromForm(form()).errors).toEqual({});
    expect(configFromForm(form()).config.init).toBe('pretrained');
  });

  it("offers earlier runs with a checkpoint and takes the chosen run's architecture", async () => {
    const { wrapper, form } = mountForm();
    const options = wrapper.findAll('[data-testid="cfg-init"] option').map((o) => o.text());
    expect(options).toEqual(['Pretrained on CIFAR-10 (small folders)', 'Scratch (random weights)', 'Run “cats v1”']);
    await wrapper.get('[data-testid="cfg-init"]').setValue('7');
    expect(form()).toMatchObject({ init: 7, scale: 0.25, groups: 2 });
    await wrapper.get('[data-testid="cfg-init"]').setValue('scratch');
    expect((wrapper.get('[data-testid="cfg-scale"]').element as HTMLSelectElement).disabled).toBe(false);
  });
});
