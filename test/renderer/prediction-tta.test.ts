import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestTimeAugmentation } from '../../src-main/contract/test-time-augmentation';
import { usePredictionsStore } from '../../src-renderer/stores/predictions';
import { useRunsStore } from '../../src-renderer/stores/runs';
import PredictionView from '../../src-renderer/views/PredictionView.vue';
import { fakeServer, installStores, makeRun, mountOptions, predicted, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

/**
 * A services stand-in whose jobs run with `ran` whatever was asked (as a server that ignored the
 * request would), so a store that shows the checkbox instead of the services' word fails. `answer`
 * is what predict.start says about it: the same, or nothing (the field is optional there).
 */
function predictServer(ran: (asked: TestTimeAugmentation | undefined) => TestTimeAugmentation, answer: 'same' | 'nothing' = 'same') {
  let job = 0;
  server = fakeServer({
    'predict.start': ({ tta }) => {
      const jobId = `job-${++job}`;
      const used = ran(tta);
      server.router.emit('predict.item', { jobId, item: predicted(job, `/in/${job}.png`, 'cat', 0.9) });
      setTimeout(() => server.router.emit('predict.done', { jobId, predicted: 1, skipped: 0, tta: used }), 0);
      return { jobId, total: 1, ...(answer === 'same' ? { tta: used } : {}) };
    },
  });
}

describe('the test-time augmentation a folder prediction used', () => {
  it('is what predict.done reports, not the checkbox', async () => {
    predictServer(() => 'flip', 'nothing');
    installStores(server.client);
    const store = usePredictionsStore();
    store.runId = 7;
    expect(store.usedTta).toBeNull();

    const started = store.start('/in');
    // Until the services say otherwise, the job runs what was asked.
    await started;
    expect(store.chosenTta).toBe('none');
    expect(store.usedTta).toBe('none');
    await settle();
    expect(store.status).toBe('done');
    expect(store.usedTta).toBe('flip');

    store.flipTta = true;
    expect(store.chosenTta).toBe('flip');
    expect(store.usedTta).toBe('flip');
    expect(server.calls.map((c) => c.input)).toEqual([{ runId: 7, folder: '/in' }]);
  });

  it("is predict.start's answer while the job runs", async () => {
    predictServer((asked) => (asked === 'flip' ? 'flip-shift' : 'none'));
    installStores(server.client);
    const store = usePredictionsStore();
    store.runId = 7;
    store.flipTta = true;
    await store.start('/in');
    expect(store.status).toBe('running');
    expect(store.usedTta).toBe('flip-shift');
  });

  it('shows beside the count in the Prediction view, and says when the checkbox now asks the next prediction for another', async () => {
    predictServer((asked) => asked ?? 'none');
    const pinia = installStores(server.client);
    useRunsStore().runs = [makeRun({ id: 7, status: 'completed', checkpointDir: '/runs/7' })];
    const wrapper = mount(PredictionView, mountOptions(server.client, pinia));
    await settle();
    expect(wrapper.find('[data-testid="predict-tta-used"]').exists()).toBe(false);

    await wrapper.find('[data-testid="predict-tta-flip"]').setValue(true);
    await wrapper.find('[data-testid="predict-folder-path"]').setValue('/in');
    await wrapper.find('.folder-input').trigger('submit');
    await settle();
    const used = () => wrapper.find('[data-testid="predict-tta-used"]');
    expect(used().text()).toBe('Test-time augmentation: flip');
    expect(used().attributes('title')).toContain('mirrored left-right');

    await wrapper.find('[data-testid="predict-tta-flip"]').setValue(false);
    expect(used().text()).toBe('Test-time augmentation: flip · the next prediction uses none');

    await wrapper.find('.folder-input').trigger('submit');
    await settle();
    expect(used().text()).toBe('Test-time augmentation: none');
    expect(used().attributes('title')).toBe("Each image was predicted once. The CSV's tta column says the same.");
    wrapper.unmount();
  });
});
