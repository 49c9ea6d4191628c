import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { list as listTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src-main/contract';
import { labeledArchivePath, parseLabeledArchivePath } from '../../src-main/contract/download-paths';
import { startServer, type RunningServer } from '../../src-main/server/main';
import { connectWs } from '../fixtures/ws-client';
import { makeImageFolder, removeDir, tempDir } from '../services/helpers';

/** The browser's "Export labeled dataset": GET /api/labeled/<id>.tar.gz on a real serve process. */
let root: string;
let server: RunningServer;
let base: string;
let client: ApiClient;
let closeClient: () => void;
let petsId: number;
let emptyId: number;

beforeAll(async () => {
  root = tempDir('labeled-download');
  await makeImageFolder(join(root, 'pets'), 3, 2);
  await makeImageFolder(join(root, 'loose'), 0, 3);
  server = await startServer({ port: 0, dataDir: join(root, 'data'), rendererDir: join(root, 'renderer') });
  base = `http://127.0.0.1:${server.port}`;
  ({ client, close: closeClient } = await connectWs(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`));
  petsId = (await client.invoke('datasets.addFolder', { path: join(root, 'pets'), name: 'Pets & Co' })).id;
  emptyId = (await client.invoke('datasets.addFolder', { path: join(root, 'loose'), name: 'Loose' })).id;
}, 120_000);

afterAll(async () => {
  closeClient?.();
  await server?.close();
  removeDir(root);
});

const get = (path: string) => fetch(`${base}${path}?token=${server.token}`);

describe('GET /api/labeled/<id>.tar.gz', () => {
  it('streams every labeled image, one folder per class, and leaves no scratch copy behind', async () => {
    const response = await get(labeledArchivePath(petsId));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('filename="pets-co-labeled.tar.gz"');
    const file = join(root, 'pets.tar.gz');
    writeFileSync(file, new Uint8Array(await response.arrayBuffer()));
    const entries: string[] = [];
    await listTar({ file, onReadEntry: (entry) => entries.push(entry.path) });
    expect(entries.filter((path) => path.endsWith('.png')).sort()).toEqual([
      'pets-co-labeled/cat/0.png',
      'pets-co-labeled/cat/1.png',
      'pets-co-labeled/cat/2.png',
      'pets-co-labeled/dog/0.png',
      'pets-co-labeled/dog/1.png',
      'pets-co-labeled/dog/2.png',
    ]);
    const scratch = join(root, 'data', 'cache', 'labeled-exports');
    // Removed once the archive is sent (the response may end a moment before the folder is gone).
    await expect.poll(() => (existsSync(scratch) ? readdirSync(scratch) : [])).toEqual([]);
  });

  it('says why when there is nothing to export, and 404s an unknown dataset or a malformed address', async () => {
    const empty = await get(labeledArchivePath(emptyId));
    expect(empty.status).toBe(409);
    expect(await empty.text()).toBe('Loose has no labeled images to export\n');
    expect((await get(labeledArchivePath(9999))).status).toBe(404);
    expect((await get('/api/labeled/..%2F1.tar.gz')).status).toBe(404);
    expect(parseLabeledArchivePath('/api/labeled/01.tar.gz')).toBeNull();
  });

  it('needs the token like every other route', async () => {
    expect((await fetch(`${base}${labeledArchivePath(petsId)}`)).status).toBe(401);
  });
});
