import { afterEach, describe, expect, it } from 'vitest';
import { fromApiClient } from '../../src-renderer/api/studio-client';
import type { DatasetImage } from '../../src-main/contract';
import { useAppStore } from '../../src-renderer/stores/app';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { fakeServer, installStores, makeDataset, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

function image(id: number): DatasetImage {
  return { id, datasetId: 1, path: `/data/pets/${id}.png`, classId: null, thumbUrl: `/media/thumb/image/${id}`, imageUrl: `/media/image/image/${id}` };
}

function datasetServer() {
  const list = [makeDataset({ id: 1, imageCount: 300 })];
  server = fakeServer({
    'datasets.list': () => list,
    'datasets.get': ({ id }) => list.find((d) => d.id === id) ?? makeDataset({ id }),
    'images.list': ({ offset, limit }) => ({ total: 300, items: Array.from({ length: Math.min(limit, 300 - offset) }, (_, i) => image(offset + i + 1)) }),
    'datasets.addFolder': ({ path, name }) => {
      if (path === '/missing') throw Object.assign(new Error('Folder not found: /missing'), { name: 'UserError', code: 'not-found' });
      const dataset = makeDataset({ id: 2, name: name ?? 'added', root: path, imageCount: 4, skipped: [{ path: `${path}/bad.jpg`, reason: 'not an image' }] });
      list.push(dataset);
      return dataset;
    },
    'datasets.downloadCifar10': () => {
      // A fast download can report progress before the job id reaches the client.
      server.router.emit('datasets.downloadProgress', { jobId: 'dl-1', received: 10, total: 100, phase: 'download' });
      return { jobId: 'dl-1' };
    },
  });
  installStores(server.client);
  return useDatasetsStore();
}

describe('useDatasetsStore', () => {
  it('lists datasets, selects the first and loads images page by page as the grid asks', async () => {
    const datasets = datasetServer();
    await datasets.load();
    expect(datasets.selected?.id).toBe(1);
    expect(datasets.images.total).toBe(300);
    expect(datasets.images.items.length).toBe(300);
    expect(datasets.images.items[119]?.id).toBe(120);
    expect(datasets.images.items[120]).toBeUndefined();
    await datasets.images.ensure(200, 260);
    expect(datasets.images.items[259]?.id).toBe(260);
    const pages = server.calls.filter((c) => c.method === 'images.list').map((c) => (c.input as { offset: number }).offset);
    expect(pages).toEqual([0, 120, 240]);
    await datasets.images.ensure(130, 140);
    expect(server.calls.filter((c) => c.method === 'images.list')).toHaveLength(3);
  });

  it('adds a folder, selects it and reports skipped files', async () => {
    const datasets = datasetServer();
    await datasets.load();
    const added = await datasets.addFolder('  /photos  ', 'Photos');
    expect(server.calls.find((c) => c.method === 'datasets.addFolder')?.input).toEqual({ path: '/photos', name: 'Photos' });
    expect(added?.id).toBe(2);
    expect(datasets.selectedId).toBe(2);
    expect(useAppStore().toasts.at(-1)?.message).toBe('Added “Photos”: 4 images, 1 skipped.');
  });

  it('shows why a folder could not be added', async () => {
    const datasets = datasetServer();
    expect(await datasets.addFolder('/missing')).toBeNull();
    expect(useAppStore().toasts[0]).toMatchObject({ kind: 'error', code: 'not-found', message: 'Could not add the folder: Folder not found: /missing' });
    expect(datasets.busy).toBeNull();
  });

  it('follows the CIFAR-10 download from the first event to the new dataset', async () => {
    const datasets = datasetServer();
    await datasets.downloadCifar10();
    expect(datasets.download).toMatchObject({ jobId: 'dl-1', received: 10, total: 100, phase: 'download' });
    server.router.emit('datasets.downloadProgress', { jobId: 'dl-1', received: 100, total: 100, phase: 'extract' });
    await settle();
    expect(datasets.download?.phase).toBe('extract');
    server.router.emit('datasets.downloadProgress', { jobId: 'dl-1', received: 100, total: 100, phase: 'done', datasetId: 1 });
    await settle();
    expect(datasets.download?.phase).toBe('done');
    expect(datasets.selectedId).toBe(1);
    server.router.emit('datasets.downloadProgress', { jobId: 'dl-1', received: 0, total: 100, phase: 'error', message: 'late' });
    await settle();
    expect(datasets.download?.phase).toBe('done');
  });

  it('uploads a dropped folder when the page cannot see its path, then adds the uploaded folder', async () => {
    const list = [makeDataset({ id: 1 })];
    server = fakeServer({
      'datasets.list': () => list,
      'images.list': () => ({ total: 0, items: [] }),
      'datasets.addFolder': ({ path, name }) => makeDataset({ id: 3, root: path, name: name ?? 'x' }),
    });
    const uploaded: string[] = [];
    const client = fromApiClient(server.client, {
      upload: async (files, onProgress) => {
        files.forEach((f, i) => {
          uploaded.push(f.relativePath);
          onProgress?.(i + 1, files.length);
        });
        return { folder: '/srv/uploads/b1/pets' };
      },
    });
    installStores(client);
    const datasets = useDatasetsStore();
    const file = (name: string) => new File(['x'], name);
    await datasets.addDropped([file('pets')], [
      { file: file('a.png'), relativePath: 'pets/cat/a.png' },
      { file: file('b.png'), relativePath: 'pets/dog/b.png' },
    ]);
    expect(uploaded).toEqual(['pets/cat/a.png', 'pets/dog/b.png']);
    expect(server.calls.find((c) => c.method === 'datasets.addFolder')?.input).toEqual({ path: '/srv/uploads/b1/pets', name: 'pets' });
    expect(datasets.selectedId).toBe(3);
    expect(datasets.upload).toBeNull();
  });
});
