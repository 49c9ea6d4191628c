/**
 * Issue 13 item 3: the server sends a connection only the events it listens to (VS Code's IPC
 * shape). Over the in-memory pair (JSON, a microtask a message) with the frames counted on the
 * wire, so a client that drops unwanted events itself cannot pass for a server that never sent them.
 */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ApiRouter,
  createContractCore,
  createInMemoryPair,
  createRpcClient,
  serveChannel,
  type ClientMessage,
  type ServerChannel,
  type ServerMessage,
} from '../../src-main/contract';
import { keepConnected } from '../../src-main/contract/reconnect';

const batch = (step: number) => ({ runId: 1, epoch: 1, step, stepsPerEpoch: 4, loss: 2, accuracy: 0.1, lr: 0.01, imagesPerSec: 50 });
const lostError = (reason: string) => new ApiError('transport-closed', `lost: ${reason}`);
const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

/** A router whose malformed emits fail the test instead of vanishing. */
function newRouter() {
  return new ApiRouter({
    onError: (where, error) => {
      throw new Error(`router error in ${where}: ${String(error)}`);
    },
  }).register({ 'runs.list': () => [] });
}

/** A client of `router` over its own pair; `frames` is every message the server sent it. */
function connect(router: ApiRouter) {
  const pair = createInMemoryPair();
  const frames: ServerMessage[] = [];
  pair.client.onMessage((message) => frames.push(message));
  serveChannel(router, pair.server, 'memory');
  const rpc = createRpcClient(pair.client);
  return {
    ...rpc,
    pair,
    events: () => frames.flatMap((m) => ('event' in m ? [m.event] : [])),
    /** One round trip: everything this client sent before has been read by the server. */
    sync: () => rpc.client.invoke('runs.list', {}),
  };
}

/** A hand-driven client end: sends wire messages as written and collects the replies. */
function rawClient(router: ApiRouter) {
  const pair = createInMemoryPair();
  const frames: ServerMessage[] = [];
  pair.client.onMessage((message) => frames.push(message));
  serveChannel(router, pair.server, 'memory');
  const reply = async (message: unknown) => {
    const id = (message as { id: string | number }).id;
    pair.client.send(message as ClientMessage);
    await until(() => frames.some((f) => 'id' in f && f.id === id));
    return frames.find((f) => 'id' in f && f.id === id);
  };
  return { reply, events: () => frames.flatMap((m) => ('event' in m ? [m.event] : [])) };
}

describe('events go only to connections that listen', { timeout: 5000 }, () => {
  it('a connection that never subscribed to training.batch gets none on the wire; one that did gets them until it unsubscribes', async () => {
    const router = newRouter();
    const listening = connect(router);
    const silent = connect(router);
    const seen: number[] = [];
    const off = listening.client.subscribe('training.batch', (p) => seen.push(p.step));
    silent.client.subscribe('training.epoch', () => {});
    await Promise.all([listening.sync(), silent.sync()]);
    router.emit('training.batch', batch(1));
    await Promise.all([listening.sync(), silent.sync()]);
    expect(seen).toEqual([1]);
    expect(listening.events()).toEqual(['training.batch']);
    expect(silent.events()).toEqual([]);

    off();
    await listening.sync();
    router.emit('training.batch', batch(2));
    await listening.sync();
    expect(listening.events()).toEqual(['training.batch']);
  });

  it('sends listen for the first listener of a name and unlisten when its last goes, and nothing between', async () => {
    const pair = createInMemoryPair();
    const sent: ClientMessage[] = [];
    pair.server.onMessage((message) => sent.push(message));
    const core = createContractCore({ lostError });
    core.attach(pair.client);
    const offA = core.subscribe('training.batch', () => {});
    const offB = core.subscribe('training.batch', () => {});
    offA();
    const offEpoch = core.subscribe('training.epoch', () => {});
    offB();
    offEpoch();
    await until(() => sent.length === 4);
    expect(sent.map(({ id: _id, ...rest }) => rest)).toEqual([
      { listen: ['training.batch'] },
      { listen: ['training.epoch'] },
      { unlisten: ['training.batch'] },
      { unlisten: ['training.epoch'] },
    ]);
  });

  it('answers unknown event names with unknown-event by name and changes nothing; malformed listen messages with invalid-input', async () => {
    const router = newRouter();
    const raw = rawClient(router);
    expect(await raw.reply({ id: 'l1', listen: ['evaluation.progress'] })).toEqual({ id: 'l1', result: null });
    const refused = await raw.reply({ id: 'l2', listen: ['training.batch', 'training.bach'] });
    expect(refused).toMatchObject({ id: 'l2', error: { code: 'unknown-event' } });
    expect((refused as { error: { message: string } }).error.message).toMatch(/^Unknown event "training\.bach"; the events are .*training\.batch/);
    expect(await raw.reply({ id: 'l3', unlisten: ['nope.never'] })).toMatchObject({ id: 'l3', error: { code: 'unknown-event' } });
    for (const [id, message] of [
      [4, { listen: 'training.batch' }],
      [5, { listen: [7] }],
      [6, { listen: ['training.batch'], method: 'runs.list', input: {} }],
    ] as const) {
      const reply = (await raw.reply({ id, ...message })) as { error: { code: string; message: string } };
      expect(reply.error.code, JSON.stringify(message)).toBe('invalid-input');
      expect(reply.error.message).toMatch(/^Malformed listen message .*\{id, listen: \["event\.name", \.\.\.\]\}/);
    }
    // Neither the refused message nor the malformed ones added training.batch; the good one stands.
    router.emit('training.batch', batch(1));
    router.emit('evaluation.progress', { runId: 1, done: 1, total: 2 });
    expect(await raw.reply({ id: 'sync', method: 'runs.list', input: {} })).toEqual({ id: 'sync', result: [] });
    expect(raw.events()).toEqual(['evaluation.progress']);
  });

  it('tells the client core’s owner when the server refuses a listen', async () => {
    const router = newRouter();
    const pair = createInMemoryPair();
    serveChannel(router, pair.server, 'memory');
    const refusals: [string, string][] = [];
    const core = createContractCore({ lostError, onListenRefused: (what, error) => refusals.push([what, error.code]) });
    core.attach(pair.client);
    core.subscribe('training.bach', () => {});
    await until(() => refusals.length === 1);
    expect(refusals).toEqual([['listen training.bach', 'unknown-event']]);
  });

  it('drops a connection’s names when it closes: the router sends it nothing more', async () => {
    const router = newRouter();
    const pair = createInMemoryPair();
    const sent: ServerMessage[] = [];
    const server: ServerChannel = {
      ...pair.server,
      send(message) {
        sent.push(message);
        pair.server.send(message);
      },
    };
    serveChannel(router, server, 'memory');
    const rpc = createRpcClient(pair.client);
    rpc.client.subscribe('training.batch', () => {});
    await rpc.client.invoke('runs.list', {});
    router.emit('training.batch', batch(1));
    rpc.close('tab closed');
    router.emit('training.batch', batch(2));
    expect(sent.filter((m) => 'event' in m)).toHaveLength(1);
  });

  it('on reconnect sends the current set first, before the calls that waited, and events reach the listeners again', async () => {
    const router = newRouter();
    const servers: { channel: ServerChannel; got: ClientMessage[] }[] = [];
    const core = createContractCore({ lostError, queueTimeoutMs: 1000 });
    const link = keepConnected(
      core,
      (opened) => {
        const pair = createInMemoryPair();
        const got: ClientMessage[] = [];
        pair.server.onMessage((message) => got.push(message));
        serveChannel(router, pair.server, 'memory');
        servers.push({ channel: pair.server, got });
        setTimeout(opened, 1);
        return pair.client;
      },
      { min: 5, max: 10 },
    );
    try {
      const steps: number[] = [];
      core.subscribe('training.batch', (p) => steps.push((p as { step: number }).step));
      const offStatus = core.subscribe('training.status', () => {});
      await core.invoke('runs.list', {});
      servers[0].channel.close('dropped');
      // While disconnected: one name goes, one comes, a call waits.
      offStatus();
      core.subscribe('training.epoch', () => {});
      const waiting = core.invoke('runs.list', {});
      await waiting;
      expect(servers).toHaveLength(2);
      expect(servers[1].got.map(({ id: _id, ...rest }) => rest)).toEqual([
        { listen: ['training.batch', 'training.epoch'] },
        { method: 'runs.list', input: {} },
      ]);
      router.emit('training.batch', batch(3));
      await until(() => steps.length === 1);
      expect(steps).toEqual([3]);
    } finally {
      link.close();
    }
  });
});
