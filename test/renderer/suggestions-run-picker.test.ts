import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pinia } from 'pinia';
import type { Run, SuggestionsStatus } from '../../src-main/contract';
import SuggestionsBar from '../../src-renderer/components/SuggestionsBar.vue';
import { useAppStore } from '../../src-renderer/stores/app';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { useLabelingStore } from '../../src-renderer/stores/labeling';
import { useRunsStore } from '../../src-renderer/stores/runs';
import { useSuggestionsStore } from '../../src-renderer/stores/suggestions';
import { fakeServer, installStores, makeDataset, makeRun, mountOptions, settle, type FakeServer } from './support';

/**
 * The Labeling view's run picker (issue 16, suggested labels): which of a dataset's runs suggests,
 * newest completed by default, kept per dataset; what suggestions.start receives; and the bar
 * naming the run that made the stored suggestions.
 */
let server: FakeServer;
afterEach(() => server?.close());

const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();
const finished = (id: number, datasetId: number, minute: number, overrides: Partial<Run> = {}) =>
  makeRun({
    id,
    datasetId,
    name: `run ${id}`,
    status: 'completed',
    startedAt: at(minute),
    checkpointDir: `/runs/${id}`,
    bestValAccuracy: 0.5 + id / 100,
    ...overrides,
  });

const pets = makeDataset({ id: 1, name: 'pets' });
const birds = makeDataset({ id: 2, name: 'birds', classes: [{ id: 7, name: 'owl', count: 2 }] });

/** Mounts the bar over `runs`; `stored` says which run made the dataset's stored suggestions. */
async function mountBar(runs: Run[], stored: Record<number, { runId: number; changed: number }> = {}) {
  const ref = (run: Run) => ({ id: run.id, name: run.name, startedAt: run.startedAt });
  const newest = (datasetId: number) =>
    runs.filter((r) => r.datasetId === datasetId && r.checkpointDir).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  server = fakeServer({
    'datasets.list': () => [pets, birds],
    'datasets.get': ({ id }) => (id === 1 ? pets : birds),
    'images.list': () => ({ total: 0, items: [] }),
    'runs.list': () => runs,
    'runs.get': ({ id }) => ({ ...runs.find((r) => r.id === id)!, epochMetrics: [] }),
    'presets.list': () => [],
    'suggestions.status': ({ datasetId }): SuggestionsStatus => {
      const made = stored[datasetId];
      const run = made ? runs.find((r) => r.id === made.runId)! : null;
      const latest = newest(datasetId);
      return {
        datasetId,
        run: run && ref(run),
        count: run ? 4 : 0,
        computedAt: run ? at(90) : null,
        labelsChangedSince: made?.changed ?? null,
        newestRun: latest ? ref(latest) : null,
        jobId: null,
      };
    },
    'suggestions.start': () => ({ jobId: 'job-1', total: 4 }),
    'training.start': ({ datasetId }) => makeRun({ id: 99, datasetId, name: 'retrained', status: 'running', startedAt: at(99) }),
  });
  const pinia: Pinia = installStores(server.client);
  await useDatasetsStore().load();
  await useRunsStore().load();
  const labeling = useLabelingStore();
  await labeling.open(1);
  const wrapper = mount(SuggestionsBar, mountOptions(server.client, pinia));
  await wrapper.vm.$nextTick();
  const suggestions = useSuggestionsStore();
  suggestions.watch();
  await suggestions.refresh();
  await settle();
  return { wrapper, labeling, suggestions };
}

const picker = (wrapper: ReturnType<typeof mount>) => wrapper.find('[data-testid="suggestions-run"]');
const options = (wrapper: ReturnType<typeof mount>) =>
  picker(wrapper)
    .findAll('option')
    .map((o) => o.text());
/** The option the select shows (happy-dom's select.value lags behind the selectedIndex Vue sets). */
const shown = (wrapper: ReturnType<typeof mount>) => {
  const select = picker(wrapper).element as HTMLSelectElement;
  return select.options[select.selectedIndex]?.value;
};
const started = () => server.calls.filter((c) => c.method === 'suggestions.start').map((c) => c.input);

describe('SuggestionsBar run picker', () => {
  it('lists the dataset’s finished runs newest first, chooses the newest completed one, and asks the picked run', async () => {
    const runs = [
      finished(1, 1, 10),
      finished(2, 1, 20, { name: 'Quick fit', bestValAccuracy: 0.914 }),
      finished(3, 2, 30, { name: 'birds run' }),
      finished(4, 1, 40, { name: 'stopped early', status: 'stopped', bestValAccuracy: 0.6 }),
      finished(5, 1, 50, { name: 'training now', status: 'running' }),
      finished(6, 1, 60, { name: 'blew up', status: 'diverged' }),
      makeRun({ id: 7, datasetId: 1, name: 'no checkpoint', status: 'failed', startedAt: at(70) }),
    ];
    const { wrapper } = await mountBar(runs);
    // Another dataset's run, one still training, a diverged one and one without weights are not offered.
    expect(options(wrapper)).toEqual(['Run “stopped early” (60.0% val.)', 'Run “Quick fit” (91.4% val.)', 'Run “run 1” (51.0% val.)']);
    // The default is the newest completed run, over a newer one the person stopped.
    expect(shown(wrapper)).toBe('2');
    expect(wrapper.find('[data-testid="suggestions-start"]').text()).toBe('Suggest labels');

    await wrapper.find('[data-testid="suggestions-start"]').trigger('click');
    await settle();
    expect(started()).toEqual([{ datasetId: 1, runId: 2 }]);
    expect(picker(wrapper).exists()).toBe(false);
    server.router.emit('suggestions.done', { jobId: 'job-1', datasetId: 1, suggested: 4 });
    await settle();

    await picker(wrapper).setValue('1');
    await wrapper.find('[data-testid="suggestions-start"]').trigger('click');
    await settle();
    expect(started().at(-1)).toEqual({ datasetId: 1, runId: 1 });
    expect(useAppStore().toasts.filter((t) => t.kind === 'error')).toEqual([]);
    wrapper.unmount();
  });

  it('keeps each dataset’s pick while the app runs, and falls back to the default when the pick can no longer suggest', async () => {
    const runs = [finished(1, 1, 10), finished(2, 1, 20), finished(3, 2, 30), finished(4, 2, 40)];
    const { wrapper, labeling } = await mountBar(runs);
    await picker(wrapper).setValue('1');
    await labeling.open(2);
    await settle();
    expect(shown(wrapper)).toBe('4');
    await picker(wrapper).setValue('3');
    await labeling.open(1);
    await settle();
    expect(shown(wrapper)).toBe('1');
    await labeling.open(2);
    await settle();
    expect(shown(wrapper)).toBe('3');

    // The picked run is gone from the list (deleted, say): the dataset's default takes over.
    const store = useRunsStore();
    store.runs = store.runs.filter((r) => r.id !== 3);
    await settle();
    expect(shown(wrapper)).toBe('4');
    wrapper.unmount();
  });

  it('names the run that made the suggestions, with its staleness, even while another is picked; Retrain continues from that run', async () => {
    const runs = [finished(1, 1, 10, { name: 'Quick fit', bestValAccuracy: 0.91 }), finished(2, 1, 20, { name: 'fine-tune' })];
    const { wrapper } = await mountBar(runs, { 1: { runId: 1, changed: 3 } });
    expect(wrapper.find('[data-testid="suggestions-by"]').text()).toBe('Suggested by Run “Quick fit” (91.0% val.)');
    expect(wrapper.find('[data-testid="suggestions-stale"]').text()).toBe('trained before 3 labels changed');
    // The newest run is picked, not the one that suggested: the button makes new suggestions rather than "again".
    expect(wrapper.find('[data-testid="suggestions-start"]').text()).toBe('Suggest labels');
    await picker(wrapper).setValue('1');
    expect(wrapper.find('[data-testid="suggestions-start"]').text()).toBe('Suggest again');

    // The stale model is the one that suggested, not the newest run: Retrain starts from its weights.
    await picker(wrapper).setValue('2');
    await wrapper.find('[data-testid="suggestions-retrain"]').trigger('click');
    await settle();
    const retrain = server.calls.find((c) => c.method === 'training.start')?.input as { datasetId: number; config: { init?: unknown } };
    expect(retrain.datasetId).toBe(1);
    expect(retrain.config.init).toBe(1);
    wrapper.unmount();
  });

  it('disables the picker and says why when no run can suggest', async () => {
    const { wrapper } = await mountBar([finished(3, 2, 30)]);
    expect(picker(wrapper).attributes('disabled')).toBeDefined();
    expect(options(wrapper)).toEqual(['No run can suggest']);
    expect(wrapper.find('[data-testid="suggestions-start"]').attributes('disabled')).toBeDefined();
    expect(wrapper.find('[data-testid="suggestions-no-run"]').text()).toBe(
      'Train a model on this dataset first: it will suggest a label for every unlabeled image.',
    );
    wrapper.unmount();

    const training = await mountBar([finished(1, 1, 10, { name: 'first', status: 'running' })]);
    expect(training.wrapper.find('[data-testid="suggestions-no-run"]').text()).toBe('Run “first” is still training: it can suggest labels once it finishes.');
    training.wrapper.unmount();
  });

  it('hears of a run trained elsewhere when the service names one this window does not know', async () => {
    const runs = [finished(1, 1, 10)];
    const { wrapper, suggestions } = await mountBar(runs);
    expect(options(wrapper)).toEqual(['Run “run 1” (51.0% val.)']);
    // Trained from the CLI or another tab: this window got no training event for it.
    runs.push(finished(2, 1, 20, { name: 'from the CLI' }));
    await suggestions.refresh();
    await settle();
    expect(options(wrapper)[0]).toBe('Run “from the CLI” (52.0% val.)');
    expect(shown(wrapper)).toBe('2');
    wrapper.unmount();
  });
});
