import { afterEach, describe, expect, it, vi } from 'vitest';
import { useAppStore } from '../../src-renderer/stores/app';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { usePredictionAcceptStore } from '../../src-renderer/stores/prediction-accept';
import { usePredictionsStore } from '../../src-renderer/stores/predictions';
import { useRunsStore } from '../../src-renderer/stores/runs';
import { fakeServer, installStores, makeDataset, makeRun, predicted, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => {
  server?.close();
  vi.restoreAllMocks();
});

/** predict.start streams two items and a progress event before it even answers with the job id. */
function predictionServer() {
  server = fakeServer({
    'predict.start': () => {
      server.router.emit('predict.item', { jobId: 'job-1', item: predicted(1, '/in/a.png', 'cat', 0.9) });
      server.router.emit('predict.item', {
        jobId: 'job-1',
        item: { id: 2, path: '/in/broken.jpg', skipped: 'Input buffer contains unsupported image format' },
      });
      server.router.emit('predict.progress', { jobId: 'job-1', done: 2, total: 3 });
      return { jobId: 'job-1', total: 3 };
    },
    'predict.accept': ({ itemIds, datasetId }) => ({ added: itemIds?.length ?? 0, acceptId: 'accept-1', datasetId, datasetName: 'pets' }),
    'predict.undoAccept': () => ({ restored: 1, datasetId: 1, datasetName: 'pets' }),
    'predict.exportCsv': () => ({ filename: 'predictions.csv', content: 'path,label,probability\n/in/a.png,cat,0.9\n' }),
  });
  installStores(server.client);
  useDatasetsStore().datasets = [makeDataset()];
  const store = usePredictionsStore();
  store.runId = 7;
  return store;
}

describe('usePredictionsStore', () => {
  it('fills in items as they stream, including those sent before the job id, then finishes', async () => {
    const store = predictionServer();
    await store.start('/in');
    expect(server.calls[0]).toEqual({ method: 'predict.start', input: { runId: 7, folder: '/in' } });
    expect(store.items.map((i) => i.id)).toEqual([1, 2]);
    expect(store.skipped).toEqual([{ id: 2, path: '/in/broken.jpg', skipped: 'Input buffer contains unsupported image format' }]);
    expect(store.progress).toEqual({ done: 2, total: 3 });

    server.router.emit('predict.item', { jobId: 'other-job', item: predicted(9, '/x.png', 'dog', 1) });
    server.router.emit('predict.item', { jobId: 'job-1', item: predicted(3, '/in/c.png', 'dog', 0.3) });
    server.router.emit('predict.done', { jobId: 'job-1', predicted: 2, skipped: 1, tta: 'none' });
    await settle();
    expect(store.items.map((i) => i.id)).toEqual([1, 2, 3]);
    expect(store.status).toBe('done');
    expect(store.progress).toEqual({ done: 3, total: 3 });

    // After done the subscription is gone: a late event changes nothing.
    server.router.emit('predict.item', { jobId: 'job-1', item: predicted(4, '/in/d.png', 'dog', 0.3) });
    await settle();
    expect(store.items).toHaveLength(3);
  });

  it('shows streamed items in batches while the job is still running', async () => {
    const store = predictionServer();
    await store.start('/in');
    const before = store.items;
    server.router.emit('predict.item', { jobId: 'job-1', item: predicted(3, '/in/c.png', 'dog', 0.3) });
    server.router.emit('predict.item', { jobId: 'job-1', item: predicted(5, '/in/e.png', 'cat', 0.7) });
    await settle();
    expect(store.items).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(store.status).toBe('running');
    expect(store.items.map((i) => i.id)).toEqual([1, 2, 3, 5]);
    // A new array, so a grid that got the old one as a prop re-renders.
    expect(store.items).not.toBe(before);
  });

  it('accepts exactly the shown items at or above its own cut-off, which starts at the filter’s', async () => {
    const store = predictionServer();
    const accept = usePredictionAcceptStore();
    await store.start('/in');
    server.router.emit('predict.item', { jobId: 'job-1', item: predicted(3, '/in/c.png', 'dog', 0.3) });
    server.router.emit('predict.item', { jobId: 'job-1', item: predicted(4, '/in/d.png', 'dog', 0.8) });
    server.router.emit('predict.done', { jobId: 'job-1', predicted: 3, skipped: 1, tta: 'none' });
    await settle();
    accept.datasetId = 1;
    store.filter = { label: 'dog', minConfidence: 0, sort: 'name' };
    expect(accept.items.map((i) => i.id)).toEqual([3, 4]);
    expect(await accept.accept()).toBe(2);
    // Ids, never a filter the server would apply a second time: what is sent is what the grid shows.
    expect(server.calls.at(-1)).toEqual({ method: 'predict.accept', input: { jobId: 'job-1', datasetId: 1, itemIds: [3, 4] } });

    store.filter = { label: '', minConfidence: 0.5, sort: 'confidence-desc' };
    expect(accept.minConfidence).toBe(0.5);
    expect(store.visible.map((i) => i.id)).toEqual([1, 4]);
    accept.minConfidence = 0.85;
    expect(accept.items.map((i) => i.id)).toEqual([1]);
    await accept.accept();
    expect(server.calls.at(-1)?.input).toEqual({ jobId: 'job-1', datasetId: 1, itemIds: [1] });
    expect(useAppStore().toasts.at(-1)?.message).toBe('Added 1 image to “pets” with their predicted labels.');
  });

  it('has no made-up target: the run’s own folder dataset, none for CIFAR-10, and says so', async () => {
    const store = predictionServer();
    const accept = usePredictionAcceptStore();
    useDatasetsStore().datasets = [makeDataset({ id: 1, name: 'cifar', kind: 'cifar10' }), makeDataset({ id: 2, name: 'pets' })];
    useRunsStore().runs = [makeRun({ id: 7, datasetId: 2 }), makeRun({ id: 8, datasetId: 1 })];
    expect(accept.datasetId).toBe(2);
    store.runId = 8;
    expect(accept.datasetId).toBeNull();
    await store.start('/in');
    server.router.emit('predict.done', { jobId: 'job-1', predicted: 1, skipped: 1, tta: 'none' });
    await settle();
    expect(await accept.accept()).toBeNull();
    expect(server.calls.some((c) => c.method === 'predict.accept')).toBe(false);
    expect(useAppStore().toasts.at(-1)?.message).toBe('Choose the dataset that should receive the images first.');
  });

  it('undoes the last accept and names the dataset', async () => {
    const store = predictionServer();
    const accept = usePredictionAcceptStore();
    await store.start('/in');
    server.router.emit('predict.done', { jobId: 'job-1', predicted: 1, skipped: 1, tta: 'none' });
    await settle();
    accept.datasetId = 1;
    await accept.accept();
    expect(accept.last).toEqual({ acceptId: 'accept-1', added: 1, datasetName: 'pets' });
    await accept.undo();
    expect(server.calls.at(-1)).toEqual({ method: 'predict.undoAccept', input: { acceptId: 'accept-1' } });
    expect(accept.last).toBeNull();
    expect(useAppStore().toasts.at(-1)?.message).toBe('Undone: 1 image in “pets” put back as they were.');
  });

  it('starts the next prediction with fresh filters and no undo from the last one', async () => {
    const store = predictionServer();
    const accept = usePredictionAcceptStore();
    await store.start('/in');
    server.router.emit('predict.done', { jobId: 'job-1', predicted: 1, skipped: 1, tta: 'none' });
    await settle();
    store.filter = { label: 'cat', minConfidence: 0.6, sort: 'name' };
    accept.minConfidence = 0.9;
    accept.datasetId = 1;
    await accept.accept();
    await store.start('/in');
    await settle();
    expect(store.filter).toEqual({ label: '', minConfidence: 0, sort: 'confidence-desc' });
    expect(accept.minConfidence).toBe(0);
    expect(accept.last).toBeNull();
  });

  it('exports the CSV the server wrote as a download', async () => {
    const store = predictionServer();
    await store.start('/in');
    const created: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      created.push(blob as Blob);
      return 'blob:test';
    });
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    await store.exportCsv();
    expect(clicked).toEqual(['predictions.csv']);
    expect(await created[0].text()).toContain('/in/a.png,cat,0.9');
  });

  it('shows a failed job’s error and a refused start', async () => {
    server = fakeServer({
      'predict.start': ({ folder }) => {
        throw Object.assign(new Error(`Folder not found: ${folder}`), { name: 'UserError', code: 'not-found' });
      },
    });
    installStores(server.client);
    const store = usePredictionsStore();
    store.runId = 1;
    await store.start('/nope');
    expect(store.status).toBe('failed');
    expect(store.error).toBe('Could not start prediction: Folder not found: /nope');
    expect(useAppStore().toasts[0].code).toBe('not-found');
  });

  it('asks for a model before predicting', async () => {
    const store = predictionServer();
    store.runId = null;
    await store.start('/in');
    expect(server.calls).toEqual([]);
    expect(store.error).toBe('Choose a trained run first.');
  });
});
