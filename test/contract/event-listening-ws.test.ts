/**
 * Issue 13 item 3 over real sockets: serve mode's `/ws` endpoint (server/websocket.ts) sends a
 * socket only the events it listens to. First the endpoint on a plain HTTP server with a router
 * the test emits on (to send `training.batch` without training), then the real serve mode
 * (startServer, real services and ML host) adding a folder.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiRouter, createRpcClient, type RpcClient } from '../../src-main/contract';
import { startServer, type RunningServer } from '../../src-main/server/main';
import { WebSocketEndpoint } from '../../src-main/server/websocket';
import { createWsClient } from '../../src-renderer/api/ws-client';
import { makeImageFolder } from '../fixtures/image-folder';
import { wsChannel } from '../fixtures/ws-client';
import { removeDir, tempDir } from '../services/helpers';

const batch = (step: number) => ({ runId: 1, epoch: 1, step, stepsPerEpoch: 4, loss: 2, accuracy: 0.1, lr: 0.01, imagesPerSec: 50 });

/** A socket whose every text frame from the server is kept, parsed. */
async function openSocket(url: string) {
  const socket = new WebSocket(url);
  const frames: Record<string, unknown>[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, frames, events: () => frames.flatMap((f) => (typeof f.event === 'string' ? [f.event] : [])) };
}

/** Sends one hand-written message and resolves with the reply carrying its id. */
async function reply(open: Awaited<ReturnType<typeof openSocket>>, message: Record<string, unknown>) {
  open.socket.send(JSON.stringify(message));
  const end = Date.now() + 3000;
  for (;;) {
    const found = open.frames.find((f) => f.id === message.id);
    if (found) return found;
    if (Date.now() > end) throw new Error(`no reply to ${JSON.stringify(message)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('serve /ws endpoint: events only for names a socket listens to', { timeout: 10_000 }, () => {
  let http: Server;
  let router: ApiRouter;
  let url: string;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    router = new ApiRouter().register({ 'runs.list': () => [] });
    const endpoint = new WebSocketEndpoint(router);
    http = createServer((_request, response) => response.writeHead(404).end());
    http.on('upgrade', (request, socket, head) => endpoint.upgrade(request, socket, head));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  });

  afterEach(() => sockets.splice(0).forEach((s) => s.terminate()));
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

  it('a tab that never subscribed to training.batch receives none; one that did receives them until it unsubscribes', async () => {
    const tabA = await openSocket(url);
    const tabB = await openSocket(url);
    sockets.push(tabA.socket, tabB.socket);
    const a = createRpcClient(wsChannel(tabA.socket)).client;
    const b = createRpcClient(wsChannel(tabB.socket)).client;
    const steps: number[] = [];
    const off = a.subscribe('training.batch', (p) => steps.push(p.step));
    b.subscribe('training.status', () => {});
    await Promise.all([a.invoke('runs.list', {}), b.invoke('runs.list', {})]);
    router.emit('training.batch', batch(1));
    await Promise.all([a.invoke('runs.list', {}), b.invoke('runs.list', {})]);
    expect(steps).toEqual([1]);
    expect(tabB.events()).toEqual([]);

    off();
    await a.invoke('runs.list', {});
    router.emit('training.batch', batch(2));
    await a.invoke('runs.list', {});
    expect(tabA.events()).toEqual(['training.batch']);
  });

  it('answers a hand-written client’s listen, unknown names and unlisten on the wire', async () => {
    const tab = await openSocket(url);
    sockets.push(tab.socket);
    expect(await reply(tab, { id: 1, listen: ['training.batch'] })).toEqual({ id: 1, result: null });
    const unknown = await reply(tab, { id: 2, listen: ['training.bach'] });
    expect(unknown).toMatchObject({ id: 2, error: { code: 'unknown-event' } });
    expect((unknown.error as { message: string }).message).toMatch(/Unknown event "training\.bach"/);
    router.emit('training.batch', batch(1));
    expect(await reply(tab, { id: 3, unlisten: ['training.batch'] })).toEqual({ id: 3, result: null });
    router.emit('training.batch', batch(2));
    expect(await reply(tab, { id: 4, method: 'runs.list', input: {} })).toEqual({ id: 4, result: [] });
    expect(tab.events()).toEqual(['training.batch']);
  });

  it('the browser’s client listens again after its socket drops and it reconnects', async () => {
    // The client's own sockets, so the test can drop one as a network would.
    const opened: WebSocket[] = [];
    class Recorded extends WebSocket {
      constructor(address: string) {
        super(address);
        opened.push(this);
      }
    }
    const client = createWsClient({
      url,
      httpBase: '',
      token: null,
      WebSocketImpl: Recorded as unknown as typeof globalThis.WebSocket,
      reconnectMs: { min: 10, max: 20 },
    });
    try {
      const steps: number[] = [];
      client.subscribe('training.batch', (p) => steps.push(p.step));
      await client.invoke('runs.list', {});
      opened[0].terminate();
      await new Promise((resolve) => setTimeout(resolve, 30));
      await client.invoke('runs.list', {});
      expect(opened).toHaveLength(2);
      router.emit('training.batch', batch(7));
      await client.invoke('runs.list', {});
      expect(steps).toEqual([7]);
    } finally {
      client.close();
    }
  });
});

describe('real serve mode: a dataset added by one tab is announced only to tabs that listen', { timeout: 120_000 }, () => {
  let root: string;
  let server: RunningServer;
  const clients: RpcClient[] = [];

  beforeAll(async () => {
    root = tempDir('event-listening');
    await makeImageFolder(join(root, 'pets'), { classes: ['cat', 'dog'], perClass: 2 });
    server = await startServer({ port: 0, dataDir: join(root, 'data'), rendererDir: join(root, 'no-renderer') });
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await server?.close();
    removeDir(root);
  });

  it('datasets.changed reaches the listening tab and not the one that added the folder without listening', async () => {
    const wsUrl = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
    const [watching, adding] = [await openSocket(wsUrl), await openSocket(wsUrl)];
    const watcher = createRpcClient(wsChannel(watching.socket));
    const adder = createRpcClient(wsChannel(adding.socket));
    clients.push(watcher, adder);
    const changed: number[] = [];
    watcher.client.subscribe('datasets.changed', (p) => changed.push(p.datasetId));
    await watcher.client.invoke('app.info', {});
    const dataset = await adder.client.invoke('datasets.addFolder', { path: join(root, 'pets') });
    await watcher.client.invoke('app.info', {});
    expect(changed).toEqual([dataset.id]);
    // The adder heard nothing: not the change, not the scan's progress.
    expect(adding.events()).toEqual([]);
  });
});
