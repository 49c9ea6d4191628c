import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRpcClient } from '../../src-main/contract';
import { startServer, type RunningServer } from '../../src-main/server/main';
import { wsChannel } from '../fixtures/ws-client';
import { removeDir, tempDir } from '../services/helpers';

let root: string;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  root = tempDir('server');
  mkdirSync(join(root, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>Studio page</title><div id="app"></div>');
  writeFileSync(join(root, 'renderer', 'assets', 'app.js'), 'console.log(1)');
  server = await startServer({ port: 0, dataDir: join(root, 'data'), rendererDir: join(root, 'renderer') });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  removeDir(root);
});

/** A GET with the path and headers exactly as given (fetch would normalise both). */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: server.port, path, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}

describe('serve mode', () => {
  it('prints a URL with the token', () => {
    expect(server.url).toBe(`${base}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses requests without the right token', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/media/thumb/image/1', '/ws']) {
      expect((await fetch(base + path)).status).toBe(401);
    }
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base}/api/upload?batch=a`, { method: 'POST', body: 'x', headers: { 'x-relative-path': 'a.png' } })).status).toBe(401);
    expect((await rawGet(`/?token=${server.token}`, { host: 'evil.example' })).status).toBe(403);
  });

  it('serves the page with the token and sets a cookie for later requests', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Studio page');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^studio_token_\d+=/);
    const asset = await fetch(`${base}/assets/app.js`, { headers: { cookie } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${base}/runs/3`, { headers: { cookie } })).status).toBe(200);
    for (const path of ['/../../../../etc/passwd', '/..%2F..%2F..%2F..%2Fetc%2Fpasswd', '/assets/..%2F..%2F..%2Fetc%2Fhostname']) {
      const escaped = await rawGet(path, { cookie });
      expect(escaped.body).not.toMatch(/root:|localhost/);
    }
    expect((await fetch(`${base}/media/thumb/image/1?token=${server.token}`)).status).toBe(404);
  });

  it('round-trips calls and errors over the WebSocket', async () => {
    await expect(openSocket(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow(/401/);
    await expect(openSocket(`ws://127.0.0.1:${server.port}/ws?token=nope`)).rejects.toThrow(/401/);
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const { client, close } = createRpcClient(wsChannel(socket));
    const info = await client.invoke('app.info', {});
    expect(info).toMatchObject({ mode: 'serve', dataDir: server.dataDir, capabilities: { nativeDialogs: false, upload: true } });
    expect((await client.invoke('presets.list', {})).map((p) => p.id)).toEqual([
      'mindspore-tutorial',
      'fast-cifar',
      'cifar10-15-minutes',
      'cifar10-15-epochs',
      'small-folder',
    ]);
    await expect(client.invoke('datasets.get', { id: 42 })).rejects.toMatchObject({ name: 'ApiError', code: 'not-found' });
    await expect(client.invoke('dialogs.openFolder', {})).rejects.toMatchObject({ code: 'unavailable' });
    close();
  });

  it('serves thumbnails of an uploaded folder by the URLs the services hand out', async () => {
    const upload = async (name: string, body: Buffer) =>
      fetch(`${base}/api/upload?batch=pets&token=${server.token}`, {
        method: 'POST',
        body: new Uint8Array(body),
        headers: { 'x-relative-path': encodeURIComponent(name) },
      });
    const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    await upload('cat/a.png', red);
    await upload('dog/b.png', red);
    const { folder } = (await (await upload('cat/c.png', red)).json()) as { folder: string };
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const { client, close } = createRpcClient(wsChannel(socket));
    try {
      const dataset = await client.invoke('datasets.addFolder', { path: folder });
      expect(dataset.classes.map((c) => c.count)).toEqual([2, 1]);
      const { items } = await client.invoke('images.list', { datasetId: dataset.id });
      const thumb = await fetch(base + items[0].thumbUrl);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toBe('image/jpeg');
      const withoutToken = items[0].thumbUrl.replace(/[?&]token=[^&]+/, '');
      expect((await fetch(base + withoutToken)).status).toBe(401);
    } finally {
      close();
    }
  });

  it('stores uploads in a batch folder and refuses escaping paths', async () => {
    const url = `${base}/api/upload?batch=drop1&token=${server.token}`;
    const ok = await fetch(url, { method: 'POST', body: 'png bytes', headers: { 'x-relative-path': encodeURIComponent('photos/a b.png') } });
    expect(ok.status).toBe(200);
    const { folder, path } = (await ok.json()) as { folder: string; path: string };
    expect(folder).toBe(join(server.dataDir, 'uploads', 'drop1'));
    expect(readFileSync(path, 'utf8')).toBe('png bytes');
    const bad = await fetch(url, { method: 'POST', body: 'x', headers: { 'x-relative-path': '../../evil.png' } });
    expect(bad.status).toBe(400);
    expect(
      (await fetch(`${base}/api/upload?batch=../x&token=${server.token}`, { method: 'POST', body: 'x', headers: { 'x-relative-path': 'a.png' } })).status,
    ).toBe(400);
  });

  it('says how to build the page when the renderer is missing', async () => {
    const bare = await startServer({ port: 0, dataDir: join(root, 'data2'), rendererDir: join(root, 'missing') });
    try {
      const response = await fetch(bare.url);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build:renderer');
    } finally {
      await bare.close();
    }
  });
});

describe('npm run serve', () => {
  it('prints exactly one line with the URL and refuses requests without the token', async () => {
    const dataDir = join(root, 'cli-data');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/server/main.ts', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL line: ${stdout}`)), 60_000);
        child.stdout.on('data', () => {
          if (stdout.includes('\n')) {
            clearTimeout(timer);
            resolve(stdout.split('\n')[0]);
          }
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const match = /^ShuffleNet Studio: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+))$/.exec(line);
      expect(match).not.toBeNull();
      const port = Number(match?.[2]);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
      expect([200, 503]).toContain((await fetch(match?.[1] as string)).status);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      expect(stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
