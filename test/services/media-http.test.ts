import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src-main/server/main';
import { makeFormatFolder } from '../fixtures/image-folder';
import { connectWs } from '../fixtures/ws-client';
import { removeDir, tempDir } from './helpers';

let root: string;
let server: RunningServer;
let items: { path: string; thumbUrl: string; imageUrl: string }[];

beforeAll(async () => {
  root = tempDir('media-http');
  const folder = join(root, 'photos', 'all');
  await makeFormatFolder(folder);
  // Noise does not compress: a 3 MB PNG, many stream chunks long.
  const noise = randomBytes(1000 * 1000 * 3);
  await sharp(noise, { raw: { width: 1000, height: 1000, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toFile(join(folder, 'noise.png'));
  symlinkSync('/etc/passwd', join(folder, 'passwd.png'));
  mkdirSync(join(root, 'renderer'));
  writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><div id="app"></div>');
  server = await startServer({ port: 0, dataDir: join(root, 'data'), rendererDir: join(root, 'renderer') });
  const { client, close } = await connectWs(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
  const dataset = await client.invoke('datasets.addFolder', { path: join(root, 'photos') });
  items = (await client.invoke('images.list', { datasetId: dataset.id, limit: 100 })).items;
  close();
}, 120_000);

afterAll(async () => {
  await server?.close();
  removeDir(root);
});

const get = (url: string, method = 'GET') => fetch(`http://127.0.0.1:${server.port}${url}`, { method });
const item = (name: string) => items.find((i) => i.path.endsWith(`/${name}`))!;

describe('media through the serve HTTP server', () => {
  it('streams a full image byte for byte, with its length, and answers HEAD without a body', async () => {
    const file = readFileSync(item('noise.png').path);
    const response = await get(item('noise.png').imageUrl);
    expect([response.status, response.headers.get('content-length')]).toEqual([200, String(file.length)]);
    expect(Buffer.from(await response.arrayBuffer()).equals(file)).toBe(true);
    const head = await get(item('noise.png').imageUrl, 'HEAD');
    expect([head.status, head.headers.get('content-length'), (await head.arrayBuffer()).byteLength]).toEqual([200, String(file.length), 0]);
  });

  it('serves a BMP thumbnail and full image, and refuses a symlink to /etc/passwd', async () => {
    for (const url of [item('bmp24.bmp').thumbUrl, item('bmp8.bmp').imageUrl]) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).width).toBeGreaterThan(0);
    }
    const passwd = items.find((i) => i.path.endsWith('/passwd.png'));
    // The scan skips it, so it is not even listed as an image; its id must not serve it either.
    expect(passwd).toBeUndefined();
    const skippedId = Math.max(...items.map((i) => Number(/\/(\d+)\?/.exec(i.imageUrl)![1]))) + 1;
    for (let id = 1; id <= skippedId; id++) {
      const response = await get(`/media/image/image/${id}?token=${server.token}`);
      expect(await response.text()).not.toContain('root:x:0:0');
    }
  });
});
