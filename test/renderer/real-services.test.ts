/**
 * The stores against the real services (SQLite, the forked ML host scanning real PNG files) on the
 * contract's in-memory transport: add a folder, label with the store, see the class counts change.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInMemory } from '../../src-main/contract';
import { forkHostPort } from '../../src-main/ml-host/fork-port';
import { createAppRouter } from '../../src-main/services';
import { fromApiClient } from '../../src-renderer/api/studio-client';
import { useAppStore } from '../../src-renderer/stores/app';
import { useDatasetsStore } from '../../src-renderer/stores/datasets';
import { useLabelingStore } from '../../src-renderer/stores/labeling';
import { makeImageFolder, syntheticImage } from '../fixtures/image-folder';
import { installStores } from './support';

let root: string;
let app: ReturnType<typeof createAppRouter>;
let rpc: ReturnType<typeof connectInMemory>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'studio-renderer-'));
  await makeImageFolder(join(root, 'pets'), { classes: ['cat', 'dog'], perClass: 3 });
  await writeFile(join(root, 'pets', 'loose.png'), await syntheticImage(0, 9, 16));
  await writeFile(join(root, 'pets', 'broken.jpg'), 'not a jpeg');
  // happy-dom replaces URL, so the host entry is given as a path rather than found via import.meta.url.
  const entry = join(import.meta.dirname, '..', '..', 'src-main', 'ml-host', 'main.ts');
  app = createAppRouter({ dataDir: join(root, 'data'), hostPort: () => forkHostPort({ entry, log: () => {} }), onError: () => {} });
  rpc = connectInMemory(app.router);
  installStores(fromApiClient(rpc.client));
});

afterAll(async () => {
  rpc?.close();
  app?.services.close();
  await rm(root, { recursive: true, force: true });
});

describe('stores on the real services', () => {
  it('add a folder, label its unlabeled image with a number key, and export the labeled copy', async () => {
    const datasets = useDatasetsStore();
    const labeling = useLabelingStore();
    const added = await datasets.addFolder(join(root, 'pets'), 'Pets');
    expect(useAppStore().toasts.filter((t) => t.kind === 'error')).toEqual([]);
    expect(added).toMatchObject({ name: 'Pets', imageCount: 7, unlabeledCount: 1 });
    expect(added?.classes.map((c) => [c.name, c.count])).toEqual([
      ['cat', 3],
      ['dog', 3],
    ]);
    expect(added?.skipped.map((s) => s.path.split(/[\\/]/).pop())).toEqual(['broken.jpg']);
    expect(datasets.images.total).toBe(7);

    await labeling.open(added!.id);
    await labeling.setFilter('unlabeled');
    expect(labeling.images.total).toBe(1);
    expect(labeling.current?.path).toMatch(/loose\.png$/);
    await labeling.assignByNumber(2);
    expect(datasets.selected?.classes.map((c) => c.count)).toEqual([3, 4]);
    expect(datasets.selected?.unlabeledCount).toBe(0);

    const created = await labeling.createClass('bird');
    expect(created?.name).toBe('bird');
    await labeling.renameClass(created!.id, 'parrot');
    expect(labeling.classes.map((c) => c.name)).toEqual(['cat', 'dog', 'parrot']);

    await labeling.exportLabeled(join(root, 'export'));
    expect(useAppStore().toasts.at(-1)?.message).toMatch(/^Exported 7 labeled images to /);
  });
});
