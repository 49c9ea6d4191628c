import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetImage } from '../../src-main/contract';
import { useAppStore } from '../../src-renderer/stores/app';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { useLabelingStore } from '../../src-renderer/stores/labeling';
import LabelingView from '../../src-renderer/views/LabelingView.vue';
import { fakeServer, installStores, makeDataset, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

async function mountLabeling() {
  const labels = new Map<number, number | null>([1, 2, 3, 4].map((id) => [id, null]));
  const image = (id: number): DatasetImage => ({
    id,
    datasetId: 1,
    path: `/pets/${id}.png`,
    classId: labels.get(id) ?? null,
    thumbUrl: `/media/thumb/image/${id}`,
    imageUrl: `/media/image/image/${id}`,
  });
  server = fakeServer({
    'datasets.list': () => [makeDataset()],
    'datasets.get': () => makeDataset(),
    'images.list': ({ filter, offset, limit }) => {
      const ids = [...labels.keys()].filter((id) => filter.classId === undefined || labels.get(id) === filter.classId);
      return { total: ids.length, items: ids.slice(offset, offset + limit).map(image) };
    },
    'labels.assign': ({ imageIds, classId }) => {
      imageIds.forEach((id) => labels.set(id, classId));
      return { updated: imageIds.length };
    },
  });
  const pinia = installStores(server.client);
  await useDatasetsStore().load();
  const wrapper = mount(LabelingView, { ...mountOptions(server.client, pinia), attachTo: document.body });
  await settle();
  return { wrapper, labels, labeling: useLabelingStore() };
}

const press = async (key: string, init: KeyboardEventInit = {}) => {
  window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, ...init }));
  await settle();
};

describe('LabelingView keyboard', () => {
  it('labels the current image with a number key, saves at once and moves on', async () => {
    const { wrapper, labels, labeling } = await mountLabeling();
    expect(labeling.current?.id).toBe(1);
    await press('2');
    expect(server.calls.find((c) => c.method === 'labels.assign')?.input).toEqual({ imageIds: [1], classId: 2 });
    expect(labels.get(1)).toBe(2);
    expect(labeling.current?.id).toBe(2);
    await press('1');
    expect(labels.get(2)).toBe(1);
    const chips = wrapper.findAll('[data-testid="labeling-tile"] figcaption').map((c) => c.text());
    expect(chips.slice(0, 3)).toEqual(['dog', 'cat', 'Unlabeled']);
    wrapper.unmount();
  });

  it('moves with the arrow keys and unlabels with 0', async () => {
    const { wrapper, labels, labeling } = await mountLabeling();
    await press('ArrowRight');
    await press('ArrowRight');
    expect(labeling.current?.id).toBe(3);
    await press('ArrowLeft');
    expect(labeling.current?.id).toBe(2);
    await press('1');
    await press('ArrowLeft');
    await press('0');
    expect(labels.get(2)).toBeNull();
    wrapper.unmount();
  });

  it('labels a shift-clicked range in one call', async () => {
    const { wrapper, labels } = await mountLabeling();
    const tiles = wrapper.findAll('[data-testid="labeling-tile"]');
    await tiles[0].trigger('click');
    await tiles[2].trigger('click', { shiftKey: true });
    await press('2');
    expect(server.calls.filter((c) => c.method === 'labels.assign').map((c) => c.input)).toEqual([{ imageIds: [1, 2, 3], classId: 2 }]);
    expect([1, 2, 3, 4].map((id) => labels.get(id))).toEqual([2, 2, 2, null]);
    wrapper.unmount();
  });

  it('ignores number keys typed into a text field', async () => {
    const { wrapper } = await mountLabeling();
    const input = wrapper.find('[data-testid="new-class-name"]');
    input.element.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true }));
    await settle();
    expect(server.calls.some((c) => c.method === 'labels.assign')).toBe(false);
    wrapper.unmount();
  });

  it('a number without a class says so instead of doing nothing', async () => {
    const { wrapper } = await mountLabeling();
    await press('7');
    expect(server.calls.some((c) => c.method === 'labels.assign')).toBe(false);
    expect(useAppStore().toasts.map((t) => t.message)).toEqual(['There is no class 7 yet. Create it first.']);
    wrapper.unmount();
  });
});
