// @vitest-environment node
/**
 * The browser's WebSocket client against a real WebSocket server (the `ws` package) that serves a
 * router through the contract's serveChannel, and real uploads through the serve mode's upload
 * handler. Runs in Node: the client only needs a WebSocket class and fetch, both passed in.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { ApiError, ApiRouter, serveChannel, type ClientMessage, type ServerChannel, type ServerMessage } from '../../src-main/contract';
import { receiveUpload } from '../../src-main/server/upload';
import type { ConnectionState } from '../../src-renderer/api/studio-client';
import { createWsClient, droppedRoot, wsOptionsFromLocation } from '../../src-renderer/api/ws-client';
import { makeDataset } from './support';

function socketChannel(socket: ServerSocket): ServerChannel {
  return {
    send: (message: ServerMessage) => socket.send(JSON.stringify(message)),
    onMessage(listener: (message: ClientMessage) => void) {
      const handler = (data: Buffer) => listener(JSON.parse(data.toString()) as ClientMessage);
      socket.on('message', handler);
      return () => socket.off('message', handler);
    },
    onClose(listener: (reason: string) => void) {
      const handler = () => listener('closed');
      socket.on('close', handler);
      return () => socket.off('close', handler);
    },
    close: () => socket.close(),
  };
}

let http: Server;
let wss: WebSocketServer;
let router: ApiRouter;
let uploads: string;
let port: number;
const sockets: ServerSocket[] = [];
const clients: { close(): void }[] = [];

beforeEach(async () => {
  uploads = await mkdtemp(join(tmpdir(), 'studio-upload-'));
  let release = () => {};
  const slow = new Promise<void>((resolve) => (release = resolve));
  router = new ApiRouter().register({
    'datasets.get': ({ id }) => makeDataset({ id }),
    'datasets.list': async () => {
      await slow;
      return [];
    },
    'runs.list': () => [],
  });
  http = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.searchParams.get('token') !== 'secret') {
      response.writeHead(403).end('forbidden');
      return;
    }
    receiveUpload(request, url, uploads).then(
      ({ folder }) => response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ folder })),
      (error: Error & { status?: number }) => response.writeHead(error.status ?? 500).end(error.message),
    );
  });
  wss = new WebSocketServer({ server: http, path: '/ws' });
  wss.on('connection', (socket) => {
    sockets.push(socket);
    serveChannel(router, socketChannel(socket), 'ws');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  return () => release();
});

afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  sockets.splice(0).forEach((s) => s.terminate());
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await rm(uploads, { recursive: true, force: true });
});

function connect() {
  const options = wsOptionsFromLocation({ protocol: 'http:', host: `127.0.0.1:${port}`, search: '?token=secret', origin: `http://127.0.0.1:${port}` });
  const client = createWsClient({ ...options, WebSocketImpl: NodeWebSocket as unknown as typeof WebSocket, reconnectMs: { min: 20, max: 40 } });
  clients.push(client);
  const states: ConnectionState[] = [];
  client.onConnection((state) => states.push(state));
  return { client, states };
}

const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('createWsClient', () => {
  it('builds its URL from the page address and token', () => {
    expect(wsOptionsFromLocation({ protocol: 'https:', host: 'gpu.lan:8443', search: '?token=a%2Bb', origin: 'https://gpu.lan:8443' })).toEqual({
      url: 'wss://gpu.lan:8443/ws?token=a%2Bb',
      httpBase: 'https://gpu.lan:8443',
      token: 'a+b',
    });
  });

  it('sends calls made before the socket opened, matches replies by id, and re-throws errors with their code', async () => {
    const { client } = connect();
    const [a, b] = await Promise.all([client.invoke('datasets.get', { id: 4 }), client.invoke('datasets.get', { id: 9 })]);
    expect([a.id, b.id]).toEqual([4, 9]);
    const error = await client.invoke('datasets.get', { id: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'invalid-input' });
    await expect(client.invoke('presets.list', {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('delivers events to subscribers until they unsubscribe', async () => {
    const { client } = connect();
    await client.invoke('runs.list', {});
    const seen: number[] = [];
    const off = client.subscribe('evaluation.progress', (p) => seen.push(p.done));
    // The server sends only what a socket listens to: let the listen message reach it first.
    await client.invoke('runs.list', {});
    router.emit('evaluation.progress', { runId: 1, done: 1, total: 2 });
    await until(() => seen.length === 1);
    off();
    router.emit('evaluation.progress', { runId: 1, done: 2, total: 2 });
    await client.invoke('runs.list', {});
    expect(seen).toEqual([1]);
  });

  it('fails calls in flight when the connection drops, then reconnects by itself', async () => {
    const { client, states } = connect();
    await client.invoke('runs.list', {});
    const inFlight = client.invoke('datasets.list', {});
    await until(() => sockets.length === 1);
    sockets[0].terminate();
    await expect(inFlight).rejects.toMatchObject({ code: 'transport-closed' });
    await until(() => states.at(-1) === 'open' && states.includes('closed'));
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    await expect(client.invoke('datasets.get', { id: 2 })).resolves.toMatchObject({ id: 2 });
  });

  it('adds the token to media URLs only where it is missing', () => {
    const { client } = connect();
    expect(client.mediaUrl('/media/thumb/image/3?size=128')).toBe('/media/thumb/image/3?size=128&token=secret');
    expect(client.mediaUrl('/media/thumb/image/3?token=secret')).toBe('/media/thumb/image/3?token=secret');
    expect(client.mediaUrl('studio-media://thumb/image/3')).toBe('studio-media://thumb/image/3');
  });

  it('uploads a dropped folder into one batch and answers with the dropped folder itself', async () => {
    const { client } = connect();
    const files = [
      { file: new File(['cat-bytes'], 'a.png'), relativePath: 'pets/cat/a.png' },
      { file: new File(['dog-bytes'], 'b b.png'), relativePath: 'pets/dog/b b.png' },
      { file: new File(['x'], 'ü.png'), relativePath: 'pets/ü.png' },
    ];
    const progress: number[] = [];
    const { folder } = await client.upload(files, (done) => progress.push(done));
    expect(progress.sort()).toEqual([1, 2, 3]);
    expect(folder.startsWith(uploads)).toBe(true);
    expect(folder.endsWith('/pets')).toBe(true);
    expect(await readFile(join(folder, 'dog', 'b b.png'), 'utf8')).toBe('dog-bytes');
    expect(await readFile(join(folder, 'ü.png'), 'utf8')).toBe('x');
  });

  it('reports a refused upload with the server’s reason', async () => {
    const options = { url: `ws://127.0.0.1:${port}/ws?token=wrong`, httpBase: `http://127.0.0.1:${port}`, token: 'wrong' };
    const client = createWsClient({ ...options, WebSocketImpl: NodeWebSocket as unknown as typeof WebSocket });
    clients.push(client);
    await expect(client.upload([{ file: new File(['x'], 'a.png'), relativePath: 'a.png' }])).rejects.toThrow(/403\): forbidden/);
  });
});

describe('droppedRoot', () => {
  const f = (relativePath: string) => ({ file: new File([], 'x'), relativePath });
  it('points into the one dropped folder, and stays at the batch for loose files', () => {
    expect(droppedRoot('/u/b1', [f('pets/cat/a.png'), f('pets/b.png')])).toBe('/u/b1/pets');
    expect(droppedRoot('C:\\u\\b1', [f('pets/a.png')])).toBe('C:\\u\\b1\\pets');
    expect(droppedRoot('/u/b1', [f('a.png'), f('b.png')])).toBe('/u/b1');
    expect(droppedRoot('/u/b1', [f('one/a.png'), f('two/b.png')])).toBe('/u/b1');
  });
});
