import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import PredictionGrid from '../../src-renderer/components/PredictionGrid.vue';
import type { PredictItem } from '../../src-renderer/api/types';
import { acceptable, filterPredictions, predictedLabels } from '../../src-renderer/lib/prediction-filter';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { usePredictionsStore } from '../../src-renderer/stores/predictions';
import { useRunsStore } from '../../src-renderer/stores/runs';
import PredictionView from '../../src-renderer/views/PredictionView.vue';
import { fakeServer, installStores, makeDataset, makeRun, mountOptions, predicted, settle, type FakeServer } from './support';

const items: PredictItem[] = [
  predicted(1, '/in/a.png', 'cat', 0.95),
  predicted(2, '/in/b.png', 'dog', 0.55),
  predicted(3, '/in/c.png', 'cat', 0.4),
  { id: 4, path: '/in/broken.jpg', skipped: 'not an image' },
  predicted(5, '/in/d.png', 'dog', 0.85),
];

let server: FakeServer;
afterEach(() => server?.close());

// happy-dom has no layout: give the grid's viewport a 600 x 400 box.
const saved = new Map<string, PropertyDescriptor | undefined>();
beforeEach(() => {
  for (const [key, value] of Object.entries({ clientWidth: 600, clientHeight: 400 })) {
    saved.set(key, Object.getOwnPropertyDescriptor(HTMLElement.prototype, key));
    Object.defineProperty(HTMLElement.prototype, key, { configurable: true, get: () => value });
  }
});
afterEach(() => {
  for (const [key, descriptor] of saved) {
    if (descriptor) Object.defineProperty(HTMLElement.prototype, key, descriptor);
    else delete (HTMLElement.prototype as unknown as Record<string, unknown>)[key];
  }
});

const tilePaths = (wrapper: { findAll(selector: string): { attributes(name: string): string | undefined }[] }) =>
  wrapper.findAll('[data-testid="prediction-item"]').map((el) => el.attributes('title'));
const shown = (wrapper: { findAll(selector: string): { attributes(name: string): string | undefined }[] }) =>
  wrapper.findAll('[data-testid="prediction-item"]').map((el) => [el.attributes('data-label'), Number(el.attributes('data-confidence'))]);

describe('prediction filter (the one home of filter and sort)', () => {
  it('keeps predicted items only, most confident first', () => {
    expect(filterPredictions(items, { label: '', minConfidence: 0, sort: 'confidence-desc' }).map((i) => i.id)).toEqual([1, 5, 2, 3]);
  });

  it('filters by class and by minimum confidence, and sorts least confident first', () => {
    expect(filterPredictions(items, { label: 'dog', minConfidence: 0, sort: 'confidence-desc' }).map((i) => i.id)).toEqual([5, 2]);
    expect(filterPredictions(items, { label: '', minConfidence: 0.5, sort: 'confidence-asc' }).map((i) => i.id)).toEqual([2, 5, 1]);
  });

  it('sorts by name in natural order and lists labels once', () => {
    const numbered = [predicted(1, '/in/10.png', 'cat', 0.5), predicted(2, '/in/2.png', 'cat', 0.5), predicted(3, '/in/1.png', 'cat', 0.5)];
    expect(filterPredictions(numbered, { label: '', minConfidence: 0, sort: 'name' }).map((i) => i.path)).toEqual(['/in/1.png', '/in/2.png', '/in/10.png']);
    expect(predictedLabels(items)).toEqual(['cat', 'dog']);
  });

  it('accepts the shown items at or above the accept cut-off', () => {
    const visible = filterPredictions(items, { label: '', minConfidence: 0.5, sort: 'name' });
    expect(acceptable(visible, 0.5).map((i) => i.id)).toEqual([1, 2, 5]);
    expect(acceptable(visible, 0.9).map((i) => i.id)).toEqual([1]);
  });
});

describe('PredictionGrid', () => {
  function mountGrid(list: PredictItem[], predictedCount: number) {
    server = fakeServer({});
    const pinia = installStores(server.client);
    const visible = filterPredictions(list, { label: '', minConfidence: 0, sort: 'confidence-desc' });
    return mount(PredictionGrid, { props: { items: visible, predictedCount }, ...mountOptions(server.client, pinia) });
  }

  it('shows the items it is given, in that order', () => {
    const wrapper = mountGrid(items, 4);
    expect(shown(wrapper)).toEqual([
      ['cat', 0.95],
      ['dog', 0.85],
      ['dog', 0.55],
      ['cat', 0.4],
    ]);
    expect(wrapper.text()).toContain('95%');
  });

  it('tells an empty filter from no predictions', () => {
    server = fakeServer({});
    const pinia = installStores(server.client);
    expect(mount(PredictionGrid, { props: { items: [], predictedCount: 3 }, ...mountOptions(server.client, pinia) }).text()).toContain(
      'No predictions match the filters',
    );
    expect(mount(PredictionGrid, { props: { items: [], predictedCount: 0 }, ...mountOptions(server.client, pinia) }).text()).toContain('No predictions yet');
  });
});

describe('PredictionView', () => {
  const many: PredictItem[] = Array.from({ length: 60 }, (_, i) => predicted(i + 1, `/in/${i + 1}.png`, i % 2 ? 'dog' : 'cat', (i % 10) / 10 + 0.05));

  async function mountView(list: PredictItem[] = many) {
    server = fakeServer({
      'predict.start': () => {
        for (const item of list) server.router.emit('predict.item', { jobId: 'job-1', item });
        server.router.emit('predict.done', {
          jobId: 'job-1',
          predicted: list.filter((i) => 'top' in i).length,
          skipped: list.filter((i) => 'skipped' in i).length,
          tta: 'none',
        });
        return { jobId: 'job-1', total: list.length };
      },
      'predict.accept': ({ itemIds, datasetId }) => ({ added: itemIds?.length ?? 0, acceptId: 'a-1', datasetId, datasetName: 'pets' }),
    });
    const pinia = installStores(server.client);
    useDatasetsStore().datasets = [makeDataset({ id: 1, name: 'pets' })];
    useRunsStore().runs = [makeRun({ id: 7, datasetId: 1, status: 'completed', checkpointDir: '/runs/7' })];
    const wrapper = mount(PredictionView, { ...mountOptions(server.client, pinia), attachTo: document.body });
    await usePredictionsStore().start('/in');
    await settle();
    return wrapper;
  }

  it('"Accept N" counts, and sends, exactly the images the grid shows', async () => {
    const wrapper = await mountView();
    await wrapper.find('[data-testid="predict-filter-class"]').setValue('dog');
    await wrapper.find('[data-testid="predict-min-confidence"]').setValue('50');
    await settle();
    const store = usePredictionsStore();
    const expected = filterPredictions(many, { label: 'dog', minConfidence: 0.5, sort: 'confidence-desc' }).map((i) => i.id);
    // The grid renders what is in view; its cells are the store's list's head, in the same order.
    const cells = tilePaths(wrapper);
    expect(cells.length).toBeGreaterThan(0);
    expect(cells).toEqual(store.visible.slice(0, cells.length).map((i) => i.path));
    expect(store.visible.map((i) => i.id)).toEqual(expected);
    expect(wrapper.find('[data-testid="predict-accept"]').text()).toBe(`Accept ${expected.length} as labels`);
    // The accept's cut-off starts at the filter's.
    expect(wrapper.find('[data-testid="predict-accept-min-value"]').text()).toBe('50%');
    await wrapper.find('[data-testid="predict-accept"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'predict.accept')?.input).toEqual({ jobId: 'job-1', datasetId: 1, itemIds: expected });
    expect(wrapper.find('[data-testid="predict-accept-done"]').text()).toContain(`Added ${expected.length} to “pets”`);
    wrapper.unmount();
  });

  it('for each sort under a class and confidence filter, the tiles are the store’s list in its order and "Accept N" counts it', async () => {
    // Numbered names (2 before 10), ties in confidence and an item exactly at the cut-off: a grid
    // that sorted or filtered on its own, even slightly differently, would show another order or count.
    const mixed: PredictItem[] = [
      predicted(1, '/in/10.png', 'dog', 0.9),
      predicted(2, '/in/2.png', 'dog', 0.6),
      predicted(3, '/in/1.png', 'cat', 0.99),
      predicted(4, '/in/3.png', 'dog', 0.3),
      predicted(5, '/in/20.png', 'dog', 0.6),
      predicted(6, '/in/11.png', 'dog', 0.75),
      { id: 7, path: '/in/broken.jpg', skipped: 'not an image' },
      predicted(8, '/in/4.png', 'cat', 0.55),
      predicted(9, '/in/12.png', 'dog', 0.5),
    ];
    const wrapper = await mountView(mixed);
    const store = usePredictionsStore();
    await wrapper.find('[data-testid="predict-filter-class"]').setValue('dog');
    await wrapper.find('[data-testid="predict-min-confidence"]').setValue('50');
    const expected = { name: [2, 1, 6, 9, 5], 'confidence-asc': [9, 2, 5, 6, 1], 'confidence-desc': [1, 6, 2, 5, 9] };
    for (const [sort, ids] of Object.entries(expected)) {
      await wrapper.find('[data-testid="predict-sort"]').setValue(sort);
      await settle();
      expect(
        store.visible.map((i) => i.id),
        sort,
      ).toEqual(ids);
      // Five tiles fit the 600 x 400 box, so every one of the list is rendered.
      expect(tilePaths(wrapper), sort).toEqual(store.visible.map((i) => i.path));
      expect(wrapper.find('[data-testid="predict-accept"]').text(), sort).toBe(`Accept ${store.visible.length} as labels`);
    }
    await wrapper.find('[data-testid="predict-accept"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'predict.accept')?.input).toEqual({ jobId: 'job-1', datasetId: 1, itemIds: expected['confidence-desc'] });
    wrapper.unmount();
  });

  it('a changed filter scrolls the grid back to the top', async () => {
    const wrapper = await mountView();
    const viewport = wrapper.find('[data-testid="prediction-grid"]').element as HTMLElement;
    viewport.scrollTop = 800;
    viewport.dispatchEvent(new Event('scroll'));
    await wrapper.find('[data-testid="predict-sort"]').setValue('name');
    await settle();
    expect(viewport.scrollTop).toBe(0);
    wrapper.unmount();
  });
});
