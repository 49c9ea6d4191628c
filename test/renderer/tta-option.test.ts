import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { useRunsStore } from '../../src-renderer/stores/runs';
import EvaluationView from '../../src-renderer/views/EvaluationView.vue';
import PredictionView from '../../src-renderer/views/PredictionView.vue';
import { fakeServer, installStores, makeEvaluation, makeRun, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

describe('the flip test-time augmentation checkbox', () => {
  it('in the Prediction view sends tta "flip" to predict.start only when ticked', async () => {
    server = fakeServer({
      'predict.start': ({ tta }) => {
        server.router.emit('predict.done', { jobId: 'job-1', predicted: 0, skipped: 0, tta: tta ?? 'none' });
        return { jobId: 'job-1', total: 0, tta: tta ?? 'none' };
      },
    });
    const pinia = installStores(server.client);
    useRunsStore().runs = [makeRun({ id: 7, status: 'completed', checkpointDir: '/runs/7' })];
    const wrapper = mount(PredictionView, mountOptions(server.client, pinia));
    await settle();
    await wrapper.find('[data-testid="predict-folder-path"]').setValue('/in');
    await wrapper.find('.folder-input').trigger('submit');
    await settle();
    await wrapper.find('[data-testid="predict-tta-flip"]').setValue(true);
    await wrapper.find('.folder-input').trigger('submit');
    await settle();
    const inputs = server.calls.filter((c) => c.method === 'predict.start').map((c) => c.input);
    expect(inputs).toEqual([
      { runId: 7, folder: '/in' },
      { runId: 7, folder: '/in', tta: 'flip' },
    ]);
    wrapper.unmount();
  });

  it('in the Evaluation view sends tta "flip" to evaluation.run when ticked and says so under the result', async () => {
    server = fakeServer({
      'evaluation.listForRun': () => [],
      'evaluation.run': ({ runId, tta }) => makeEvaluation({ id: 2, runId, tta: tta ?? 'none' }),
    });
    const pinia = installStores(server.client);
    useRunsStore().runs = [makeRun({ id: 3, status: 'completed', checkpointDir: '/runs/3' })];
    const wrapper = mount(EvaluationView, mountOptions(server.client, pinia));
    await settle();
    await wrapper.find('[data-testid="eval-tta-flip"]').setValue(true);
    await wrapper.find('[data-testid="evaluate-button"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'evaluation.run')?.input).toEqual({ runId: 3, checkpoint: 'best', tta: 'flip' });
    expect(wrapper.find('[data-testid="eval-checkpoint"]').text()).toContain('flip test-time augmentation');
    wrapper.unmount();
  });
});
