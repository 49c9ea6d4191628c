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
    'datasets.inspectFolder': ({ path }) => {
      if (path === '/missing') throw Object.assign(new Error('Folder not found: /missing'), { name: 'UserError', code: 'not-found' });
      const existing = list.find((d) => d.root === path);
      return { path, subfolders: 2, looseImages: 0, parent: '/', existing: existing ? { id: existing.id, name: existing.name } : null };
    },
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
    expect(server.calls.find((c) => c.method === 'datasets.addFolder')?.input).toEqual({ path: '/photos', name: 'Photos', scanId: expect.any(String) });
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
      'datasets.inspectFolder': ({ path }) => ({ path, subfolders: 2, looseImages: 0, parent: '/srv/uploads/b1', existing: null }),
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
    await datasets.addDropped(
      [file('pets')],
      [
        { file: file('a.png'), relativePath: 'pets/cat/a.png' },
        { file: file('b.png'), relativePath: 'pets/dog/b.png' },
      ],
    );
    expect(uploaded).toEqual(['pets/cat/a.png', 'pets/dog/b.png']);
    expect(server.calls.find((c) => c.method === 'datasets.addFolder')?.input).toEqual({
      path: '/srv/uploads/b1/pets',
      name: 'pets',
      scanId: expect.any(String),
    });
    expect(datasets.selectedId).toBe(3);
    expect(datasets.upload).toBeNull();
  });

  it('asks before adding a folder without class folders, and adds it unlabeled once told to', async () => {
    const list = [makeDataset({ id: 1 })];
    server = fakeServer({
      'datasets.list': () => list,
      'images.list': () => ({ total: 0, items: [] }),
      'datasets.inspectFolder': ({ path }) => ({ path, subfolders: 0, looseImages: 40, parent: '/photos', existing: null }),
      'datasets.addFolder': ({ path }) => makeDataset({ id: 4, root: path, name: 'flat', imageCount: 40, unlabeledCount: 40 }),
    });
    installStores(server.client);
    const datasets = useDatasetsStore();
    expect(await datasets.addFolder('/photos/flat')).toBeNull();
    expect(datasets.folderNotice).toEqual({ kind: 'no-classes', path: '/photos/flat', parent: '/photos', looseImages: 40 });
    expect(server.calls.some((c) => c.method === 'datasets.addFolder')).toBe(false);
    expect((await datasets.addFolder('/photos/flat', undefined, { unlabeledIsFine: true }))?.id).toBe(4);
    expect(datasets.folderNotice).toBeNull();
    expect(useAppStore().toasts.at(-1)?.message).toBe('Added “flat”: 40 images.');
  });

  it('rescans a dataset and says what changed', async () => {
    const datasets = datasetServer();
    server.router.register({
      'datasets.rescan': ({ id }) => ({ dataset: makeDataset({ id, name: 'pets', imageCount: 302 }), added: 3, changed: 0, missing: 1 }),
    });
    await datasets.load();
    expect((await datasets.rescan(1))?.imageCount).toBe(302);
    expect(useAppStore().toasts.at(-1)?.message).toBe('Rescanned “pets”: 3 new files, 1 file no longer in the folder.');
    expect(datasets.selected?.imageCount).toBe(302);
  });

  it('says a folder is already added instead of adding it again', async () => {
    const datasets = datasetServer();
    await datasets.load();
    expect(await datasets.addFolder(makeDataset({ id: 1 }).root)).toBeNull();
    expect(datasets.folderNotice).toMatchObject({ kind: 'already-added', datasetId: 1 });
    expect(server.calls.some((c) => c.method === 'datasets.addFolder')).toBe(false);
  });

  it('keeps a folder with no readable image as a notice, not a success', async () => {
    server = fakeServer({
      'datasets.inspectFolder': ({ path }) => ({ path, subfolders: 1, looseImages: 0, parent: '/', existing: null }),
      'datasets.addFolder': () => {
        throw Object.assign(new Error('No readable image in /bad: all 2 files were skipped (…); nothing was added'), {
          name: 'UserError',
          code: 'dataset-unreadable',
        });
      },
    });
    installStores(server.client);
    const datasets = useDatasetsStore();
    expect(await datasets.addFolder('/bad')).toBeNull();
    expect(datasets.folderNotice).toEqual({
      kind: 'unreadable',
      path: '/bad',
      message: 'No readable image in /bad: all 2 files were skipped (…); nothing was added',
    });
    expect(useAppStore().toasts.filter((t) => t.kind === 'success')).toEqual([]);
  });

  it('shows a scan as it goes and stops it on cancel', async () => {
    let release: () => void = () => undefined;
    const cancelled = new Promise<void>((resolve) => (release = resolve));
    server = fakeServer({
      'datasets.inspectFolder': ({ path }) => ({ path, subfolders: 1, looseImages: 0, parent: '/', existing: null }),
      'datasets.addFolder': async ({ path, scanId }) => {
        server.router.emit('datasets.scanProgress', { path, scanId, phase: 'walk', seen: 1200, found: 300, done: 0, total: 0 });
        await cancelled;
        throw Object.assign(new Error('Stopped'), { name: 'AbortedError' });
      },
      'datasets.cancelScan': () => {
        release();
        return { cancelled: true };
      },
    });
    installStores(server.client);
    const datasets = useDatasetsStore();
    const adding = datasets.addFolder('/big');
    await settle();
    expect(datasets.scan).toMatchObject({ phase: 'walk', seen: 1200, found: 300 });
    await datasets.cancelScan();
    expect(await adding).toBeNull();
    expect(datasets.scan).toBeNull();
    expect(datasets.busy).toBeNull();
    expect(useAppStore().toasts).toEqual([]);
  });
});
