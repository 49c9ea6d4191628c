import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import TrainingConfigForm from '../../src-renderer/components/TrainingConfigForm.vue';
import { trainConfigInputSchema } from '../../src-main/contract/schemas/train-config';
import { configFromForm, DEFAULT_FORM, type TrainForm } from '../../src-renderer/stores/training-config';

function mountForm(initial: Partial<TrainForm> = {}) {
  let form: TrainForm = { ...DEFAULT_FORM, ...initial };
  const wrapper = mount(TrainingConfigForm, {
    props: {
      presets: [],
      sources: [],
      modelValue: form,
      'onUpdate:modelValue': (v: TrainForm) => {
        form = v;
        void wrapper.setProps({ modelValue: v });
      },
    },
  });
  return { wrapper, form: () => form };
}

describe('Fine-tuning settings', () => {
  it('appear once the run starts from a model, and go into the config from there only', async () => {
    const { wrapper, form } = mountForm();
    expect(wrapper.find('[data-testid="cfg-fine-tuning"]').exists()).toBe(false);
    await wrapper.get('[data-testid="cfg-init"]').setValue('pretrained');
    await wrapper.get('[data-testid="cfg-head-only-epochs"]').setValue('5');
    await wrapper.get('[data-testid="cfg-backbone-lr-scale"]').setValue('0.1');
    expect(form()).toMatchObject({ init: 'pretrained', headOnlyEpochs: 5, backboneLrScale: 0.1 });
    const tuned = configFromForm(form());
    expect(tuned.errors).toEqual({});
    expect(tuned.config).toMatchObject({ init: 'pretrained', headOnlyEpochs: 5, backboneLrScale: 0.1 });
    // Back to scratch: the settings hide, and what they held has no say.
    await wrapper.get('[data-testid="cfg-init"]').setValue('scratch');
    expect(wrapper.find('[data-testid="cfg-fine-tuning"]').exists()).toBe(false);
    const scratch = configFromForm(form());
    expect(scratch.errors).toEqual({});
    expect(scratch.config).toMatchObject({ init: 'scratch', headOnlyEpochs: 0, backboneLrScale: 1 });
  });

  it("show the contract's message beside the field", () => {
    const { errors } = configFromForm({ ...DEFAULT_FORM, init: 'pretrained', epochs: 4, headOnlyEpochs: 6, backboneLrScale: 0 });
    expect(errors).toEqual({ headOnlyEpochs: 'Head-only epochs can be at most the 4 epochs of the run.', backboneLrScale: 'Must be greater than 0.' });
    expect(trainConfigInputSchema.safeParse({ headOnlyEpochs: 2 }).error?.issues[0].message).toBe('Head-only epochs need a model to start from, not scratch');
    expect(trainConfigInputSchema.safeParse({ init: 'scratch', backboneLrScale: 0.5 }).error?.issues[0].message).toBe(
      'A backbone rate scale needs a model to start from, not scratch',
    );
    expect(trainConfigInputSchema.safeParse({ init: 'pretrained', headOnlyEpochs: 2, backboneLrScale: 0.1 }).success).toBe(true);
    expect(trainConfigInputSchema.safeParse({ init: 7, headOnlyEpochs: 1.5 }).success).toBe(false);
  });
});
