import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetImage } from '../../src-main/contract';
import { useAppStore } from '../../src-renderer/stores/app';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { useLabelingStore } from '../../src-renderer/stores/labeling';
import LabelingView from '../../src-renderer/views/LabelingView.vue';
import { CLASS_PALETTE, classColor } from '../../src-renderer/lib/class-colors';
import { appInfo, fakeServer, installStores, makeDataset, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

/** What the server says of a dataset nothing was trained on yet. */
const noSuggestions = ({ datasetId }: { datasetId: number }) => ({
  datasetId,
  run: null,
  count: 0,
  computedAt: null,
  labelsChangedSince: null,
  newestRun: null,
  jobId: null,
});

async function mountLabeling(dataset = makeDataset()) {
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
    'datasets.list': () => [dataset],
    'datasets.get': () => dataset,
    'images.list': ({ filter, offset, limit }) => {
      const ids = [...labels.keys()].filter((id) => filter.classId === undefined || labels.get(id) === filter.classId);
      return { total: ids.length, items: ids.slice(offset, offset + limit).map(image) };
    },
    'labels.assign': ({ imageIds, classId }) => {
      imageIds.forEach((id) => labels.set(id, classId));
      return { updated: imageIds.length };
    },
    'suggestions.status': noSuggestions,
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

  it('moves with the arrow keys and unlabels with Backspace or Delete', async () => {
    const { wrapper, labels, labeling } = await mountLabeling();
    await press('ArrowRight');
    await press('ArrowRight');
    expect(labeling.current?.id).toBe(3);
    await press('ArrowLeft');
    expect(labeling.current?.id).toBe(2);
    await press('1');
    await press('ArrowLeft');
    await press('Backspace');
    expect(labels.get(2)).toBeNull();
    await press('1');
    await press('ArrowLeft');
    await press('Delete');
    expect(labels.get(2)).toBeNull();
    wrapper.unmount();
  });

  it('key 0 labels with the 10th class, and the palette shows every key', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `class ${i + 1}`, count: 0 }));
    const { wrapper, labels } = await mountLabeling(makeDataset({ classes: ten }));
    await press('0');
    expect(labels.get(1)).toBe(10);
    expect(wrapper.findAll('[data-testid="class-key"]').map((k) => k.text())).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
    expect(wrapper.find('[data-testid="labeling-keys"]').text()).toContain('0(10th)');
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

describe('LabelingView tiles and export', () => {
  it('every tile is reachable with Tab; focus makes it current and Enter selects it', async () => {
    const { wrapper, labels, labeling } = await mountLabeling();
    const tiles = wrapper.findAll('[data-testid="labeling-tile"]');
    expect(tiles.map((t) => t.attributes('tabindex'))).toEqual(['0', '0', '0', '0']);
    (tiles[2].element as HTMLElement).focus();
    await settle();
    expect(labeling.current?.id).toBe(3);
    await press('2');
    expect(labels.get(3)).toBe(2);
    await tiles[1].trigger('keydown', { key: 'Enter' });
    expect(labeling.current?.id).toBe(2);
    wrapper.unmount();
  });

  it('in a browser, Export labeled dataset offers a download instead of a server folder', async () => {
    const { wrapper } = await mountLabeling();
    useAppStore().info = appInfo;
    await wrapper.find('[data-testid="export-labeled"]').trigger('click');
    const link = wrapper.find('[data-testid="export-labeled-download"]');
    expect(link.attributes('href')).toBe('/api/labeled/1.tar.gz');
    expect(link.attributes('download')).toBeDefined();
    expect(wrapper.find('[data-testid="export-labeled-panel"] input').exists()).toBe(false);
    wrapper.unmount();
  });
});

describe('LabelingView while another dataset loads', () => {
  it('shows the new dataset’s classes at once, and a class typed meanwhile lands there', async () => {
    const cifar = makeDataset({ id: 1, name: 'CIFAR-10', kind: 'cifar10', classes: [{ id: 1, name: 'airplane', count: 5 }] });
    let pets = makeDataset({ id: 2, name: 'pets', classes: [{ id: 5, name: 'cat', count: 1 }] });
    let releaseImages = () => {};
    const slowImages = new Promise<void>((resolve) => (releaseImages = resolve));
    server = fakeServer({
      'datasets.list': () => [cifar, pets],
      'datasets.get': ({ id }) => (id === 1 ? cifar : pets),
      'suggestions.status': noSuggestions,
      'images.list': async ({ datasetId }) => {
        if (datasetId === 2) await slowImages;
        const image = { id: datasetId * 100, datasetId, path: `/d/${datasetId}.png`, classId: null, thumbUrl: '/t', imageUrl: '/i' };
        return { total: 1, items: [image] };
      },
      'classes.create': ({ datasetId, name }) => {
        if (datasetId === 1) throw Object.assign(new Error('CIFAR-10: its classes and labels are fixed'), { code: 'user-error' });
        pets = { ...pets, classes: [...pets.classes, { id: 6, name, count: 0 }] };
        return { id: 6, name, count: 0 };
      },
    });
    const pinia = installStores(server.client);
    await useDatasetsStore().load();
    const wrapper = mount(LabelingView, { ...mountOptions(server.client, pinia), attachTo: document.body });
    await settle();
    const names = () => wrapper.findAll('[data-testid^="assign-class-"]').map((b) => b.find('.name').text());
    expect(names()).toEqual(['airplane']);

    await wrapper.find('[data-testid="labeling-dataset"]').setValue('2');
    await settle();
    expect(names()).toEqual(['cat']);
    expect(wrapper.find('[data-testid="labeling-count"]').text()).toBe('Loading…');
    expect(wrapper.find('[data-testid="classes-loading"]').exists()).toBe(true);

    // A number key before the images arrive says why nothing happened.
    await press('1');
    expect(server.calls.some((c) => c.method === 'labels.assign')).toBe(false);
    expect(useAppStore().toasts.at(-1)?.message).toBe('Still loading the images of pets; label them once they show.');

    // Typed and submitted with Enter while the images are still on their way.
    await wrapper.find('[data-testid="new-class-name"]').setValue('bird');
    await wrapper.find('form.create').trigger('submit');
    await settle();
    releaseImages();
    await settle();
    expect(server.calls.filter((c) => c.method === 'classes.create').map((c) => c.input)).toEqual([{ datasetId: 2, name: 'bird' }]);
    expect(names()).toEqual(['cat', 'bird']);
    expect(useAppStore().toasts.filter((t) => t.kind === 'error')).toEqual([]);
    wrapper.unmount();
  });

  it('a class that could not be created keeps its typed name', async () => {
    const { wrapper } = await mountLabeling();
    server.router.register({
      'classes.create': () => {
        throw Object.assign(new Error('There is already a class named "cat"'), { code: 'conflict' });
      },
    });
    const input = wrapper.find('[data-testid="new-class-name"]');
    await input.setValue('cat');
    await wrapper.find('form.create').trigger('submit');
    await settle();
    expect((input.element as HTMLInputElement).value).toBe('cat');
    expect(useAppStore().toasts.at(-1)?.message).toContain('There is already a class named');
    wrapper.unmount();
  });

  it('CIFAR-10 says its classes are fixed instead of offering a field that fails', async () => {
    const { wrapper } = await mountLabeling(makeDataset({ name: 'CIFAR-10', kind: 'cifar10' }));
    expect(wrapper.find('[data-testid="new-class-name"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="classes-locked"]').text()).toContain('CIFAR-10: its ten classes are fixed');
    wrapper.unmount();
  });
});

describe('class colours', () => {
  const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  it('the first ten classes (CIFAR-10) all have their own, clearly different colour', () => {
    const ten = Array.from({ length: 10 }, (_, i) => classColor(i));
    expect(new Set(ten).size).toBe(10);
    let closest = Infinity;
    for (let a = 0; a < CLASS_PALETTE.length; a++) {
      for (let b = a + 1; b < CLASS_PALETTE.length; b++) {
        const [x, y] = [rgb(CLASS_PALETTE[a]), rgb(CLASS_PALETTE[b])];
        closest = Math.min(closest, Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]));
      }
    }
    // The old palette had #4f6bed and #5c7cfa (1st and 10th class) 25 apart; this one is at least 65.9 (orange and yellow).
    expect(closest).toBeGreaterThan(60);
  });
});
