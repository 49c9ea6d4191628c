import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { Audit } from '../../src-main/contract';
import DatasetHealth from '../../src-renderer/components/DatasetHealth.vue';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { fakeServer, installStores, makeDataset, mountOptions, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

const image = (id: number) => ({ imageId: id, path: `/data/pets/${id}.png`, thumbUrl: `/media/thumb/image/${id}` });
/** cat is class 1, dog class 2 (makeDataset). */
const ERRORS = [
  { ...image(4), labelClassId: 1, suggestedClassId: 2, score: 0.55, flagged: false, labelProbability: 0.2, suggestedProbability: 0.75 },
  { ...image(3), labelClassId: 2, suggestedClassId: 1, score: 0.99, flagged: true, labelProbability: 0.04, suggestedProbability: 0.94 },
  { ...image(5), labelClassId: 1, suggestedClassId: 2, score: 0.7, flagged: false, labelProbability: 0.1, suggestedProbability: 0.8 },
];

/**
 * A server whose audit.get answers as the service does: images kept, relabeled or excluded since
 * the audit leave its list, and relabels count as labels changed since it.
 */
async function mountHealth(options: { audited?: boolean } = {}) {
  const answered = new Set<number>();
  let relabels = 0;
  let audited = options.audited ?? true;
  const dataset = makeDataset();
  const audit = (): Audit => ({
    datasetId: 1,
    createdAt: new Date(0).toISOString(),
    model: 'the shipped CIFAR-10 model',
    labelsChangedSince: relabels,
    likelyMislabeled: ERRORS.filter((e) => !answered.has(e.imageId)),
    duplicateGroups: [{ kind: 'exact', scope: 'within-class', images: [image(1), image(2)] }],
    classCounts: { cat: 3, dog: 2 },
    warnings: [
      { kind: 'mislabeled', message: '3 images may carry the wrong label', images: ERRORS.map((e) => image(e.imageId)) },
      { kind: 'duplicates', message: '2 images are copies of another image of the same class', images: [image(1), image(2)] },
      { kind: 'unreadable', message: '1 file could not be read', images: [{ imageId: null, path: '/data/pets/broken.jpg', thumbUrl: null }] },
    ],
    method: { labelErrors: 'confident learning with 5-fold cross-validation', duplicates: 'perceptual hash', folds: 5 },
  });
  server = fakeServer({
    'datasets.list': () => [dataset],
    'datasets.get': () => dataset,
    'images.list': () => ({ total: 0, items: [] }),
    'audit.get': () => (audited ? audit() : null),
    'audit.start': () => {
      setTimeout(() => server.router.emit('audit.progress', { jobId: 'job-1', datasetId: 1, stage: 'cross-validation', done: 2, total: 5 }), 0);
      return { jobId: 'job-1' };
    },
    'audit.cancel': () => {
      setTimeout(() => server.router.emit('audit.done', { jobId: 'job-1', datasetId: 1, error: 'Cancelled' }), 0);
      return {};
    },
    'audit.keep': ({ imageId }) => (answered.add(imageId), {}),
    'images.setExcluded': ({ imageIds }) => (imageIds.forEach((id) => answered.add(id)), { updated: imageIds.length }),
    'labels.assign': ({ imageIds }) => {
      imageIds.forEach((id) => answered.add(id));
      relabels += imageIds.length;
      return { updated: imageIds.length };
    },
  });
  const pinia = installStores(server.client);
  await useDatasetsStore().load();
  const wrapper = mount(DatasetHealth, { props: { dataset }, ...mountOptions(server.client, pinia), attachTo: document.body });
  await settle();
  return { wrapper, finishAudit: () => (audited = true) };
}

const rows = (wrapper: Awaited<ReturnType<typeof mountHealth>>['wrapper']) => wrapper.findAll('[data-testid="likely-error"]');

describe('DatasetHealth', () => {
  it('lists the warnings, each opening onto its images, and the method in words', async () => {
    const { wrapper } = await mountHealth();
    const warnings = wrapper.findAll('[data-testid="health-warning"]');
    expect(warnings.map((w) => w.attributes('data-kind'))).toEqual(['mislabeled', 'duplicates', 'unreadable']);
    expect(warnings[1]!.text()).toContain('2 images are copies of another image of the same class');
    expect(warnings[1]!.find('[data-testid="health-warning-images"]').exists()).toBe(false);
    await warnings[1]!.find('[data-testid="health-warning-toggle"]').trigger('click');
    expect(warnings[1]!.find('[data-testid="health-warning-toggle"]').attributes('aria-expanded')).toBe('true');
    expect(warnings[1]!.findAll('[data-testid="health-warning-image"] img').map((img) => img.attributes('src'))).toEqual([
      '/media/thumb/image/1',
      '/media/thumb/image/2',
    ]);
    // A file that has no row (unreadable) shows its name instead of a thumbnail.
    await warnings[2]!.find('[data-testid="health-warning-toggle"]').trigger('click');
    expect(warnings[2]!.find('[data-testid="health-warning-image"]').text()).toBe('broken.jpg');
    expect(wrapper.find('[data-testid="health-method"]').text()).toContain('5-fold cross-validation');
    expect(wrapper.find('[data-testid="health-check"]').text()).toBe('Check again');
    expect(wrapper.find('[data-testid="health-stale"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('lists likely errors most suspicious first; R relabels, K keeps, X excludes, each moving to the next', async () => {
    const { wrapper } = await mountHealth();
    expect(rows(wrapper).map((r) => r.attributes('data-image-id'))).toEqual(['3', '5', '4']);
    expect(rows(wrapper)[0]!.find('[data-testid="likely-error-label"]').text()).toBe('dog 4%');
    expect(rows(wrapper)[0]!.find('[data-testid="likely-error-suggested"]').text()).toBe('cat 94%');
    expect(rows(wrapper)[0]!.attributes('aria-label')).toBe('3.png: labeled dog (4%), the model says cat (94%)');

    (rows(wrapper)[0]!.element as HTMLElement).focus();
    await rows(wrapper)[0]!.trigger('keydown', { key: 'r' });
    await settle();
    expect(server.calls.find((c) => c.method === 'labels.assign')?.input).toEqual({ imageIds: [3], classId: 1 });
    expect(rows(wrapper).map((r) => r.attributes('data-image-id'))).toEqual(['5', '4']);
    // The audit was read again: the relabel is a label changed since the check, and the next row keeps the keyboard.
    expect(wrapper.find('[data-testid="health-stale"]').text()).toBe('1 label changed since this check');
    expect(document.activeElement).toBe(rows(wrapper)[0]!.element);

    await rows(wrapper)[0]!.trigger('keydown', { key: 'ArrowDown' });
    await rows(wrapper)[1]!.trigger('keydown', { key: 'k' });
    await settle();
    expect(server.calls.find((c) => c.method === 'audit.keep')?.input).toEqual({ datasetId: 1, imageId: 4 });
    expect(rows(wrapper).map((r) => r.attributes('data-image-id'))).toEqual(['5']);

    await rows(wrapper)[0]!.find('[data-testid="likely-error-exclude"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'images.setExcluded')?.input).toEqual({ imageIds: [5], excluded: true });
    expect(wrapper.find('[data-testid="likely-errors"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('"Check dataset" shows the stage in words with a bar, and Cancel ends it', async () => {
    const { wrapper } = await mountHealth({ audited: false });
    expect(wrapper.find('[data-testid="health-warning"]').exists()).toBe(false);
    const check = wrapper.find('[data-testid="health-check"]');
    expect(check.text()).toBe('Check dataset');
    await check.trigger('click');
    await settle();
    const bar = wrapper.find('[data-testid="health-progress"]');
    expect(bar.attributes('aria-valuenow')).toBe('40');
    expect(bar.text()).toContain('Cross-validating the labels');
    expect(bar.text()).toContain('2 / 5');
    expect(wrapper.find('[data-testid="health-check"]').exists()).toBe(false);
    await wrapper.find('[data-testid="health-cancel"]').trigger('click');
    await settle();
    expect(server.calls.find((c) => c.method === 'audit.cancel')?.input).toEqual({ jobId: 'job-1' });
    expect(wrapper.find('[data-testid="health-progress"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="health-check"]').text()).toBe('Check dataset');
    wrapper.unmount();
  });
});
