/**
 * The one RPC client core (rpc-core.ts) and its reconnect wrapper, over the contract's in-memory
 * channel pair (JSON, a microtask per message, like a wire). Where a test needs to answer out of
 * order or stay silent, it plays the server end of the pair by hand instead of a router.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  ApiRouter,
  RpcClientCore,
  apiClientOf,
  createContractCore,
  createInMemoryPair,
  serveChannel,
  type ClientMessage,
  type ContractCore,
  type ServerChannel,
} from '../../src-main/contract';
import { keepConnected, type ConnectionState, type Reconnecting } from '../../src-main/contract/reconnect';

const lostError = (reason: string) => new ApiError('transport-closed', `lost: ${reason}`);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

/** A core attached to one pair whose server end the test drives; `requests` is what reached it. */
function manual(options: Partial<Parameters<typeof createContractCore>[0]> = {}) {
  const pair = createInMemoryPair();
  const requests: ClientMessage[] = [];
  pair.server.onMessage((message) => requests.push(message));
  const core = createContractCore({ lostError, ...options });
  core.attach(pair.client);
  return { core, server: pair.server, requests };
}

// A broken core leaves calls unsettled: fail in seconds, not at the node project's 300 s.
describe('RpcClientCore', { timeout: 5000 }, () => {
  it('matches replies to calls by id, whatever order they come in', async () => {
    const { core, server, requests } = manual();
    const a = core.invoke('datasets.get', { id: 1 });
    const b = core.invoke('datasets.get', { id: 2 });
    await until(() => requests.length === 2);
    expect(requests.map((r) => ('input' in r ? r.input : r))).toEqual([{ id: 1 }, { id: 2 }]);
    expect(requests[0].id).not.toBe(requests[1].id);
    server.send({ id: requests[1].id, result: 'two' });
    server.send({ id: requests[0].id, result: 'one' });
    await expect(Promise.all([a, b])).resolves.toEqual(['one', 'two']);
  });

  it('re-throws an error reply as an ApiError with its code, and ignores replies nobody waits for', async () => {
    const { core, server, requests } = manual();
    const call = core.invoke('datasets.get', { id: 1 });
    await until(() => requests.length === 1);
    server.send({ id: 999, result: 'stray' });
    server.send({ id: requests[0].id, error: { code: 'not-found', message: 'No dataset 1' } });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'not-found', message: 'No dataset 1' });
  });

  it('hands events to the listeners of their name until they unsubscribe, past a listener that throws', async () => {
    const failures: string[] = [];
    const { core, server } = manual({ onListenerError: (where) => failures.push(where) });
    const seen: unknown[] = [];
    core.subscribe('predict.progress', () => {
      throw new Error('listener bug');
    });
    const off = core.subscribe('predict.progress', (payload) => seen.push(payload));
    core.subscribe('predict.done', () => seen.push('wrong event'));
    server.send({ event: 'predict.progress', payload: { done: 1 } });
    await tick();
    off();
    server.send({ event: 'predict.progress', payload: { done: 2 } });
    await tick();
    expect(seen).toEqual([{ done: 1 }]);
    expect(failures).toEqual(['predict.progress', 'predict.progress']);
  });

  it('rejects a call in flight with the lost-connection error when its channel closes', async () => {
    const { core, server, requests } = manual();
    const call = core.invoke('datasets.list', {});
    await until(() => requests.length === 1);
    server.close('server went away');
    await expect(call).rejects.toMatchObject({ name: 'ApiError', code: 'transport-closed', message: 'lost: server went away' });
    // Nothing is attached any more and nothing may wait: the next call fails at once.
    await expect(core.invoke('datasets.list', {})).rejects.toMatchObject({ code: 'transport-closed' });
  });

  it('holds calls made while unattached, sends them on attach, and fails them when no connection comes in time', async () => {
    const core = createContractCore({ lostError, queueTimeoutMs: 40, notConnectedError: () => new ApiError('transport-closed', 'not connected') });
    const late = core.invoke('datasets.list', {});
    await expect(late).rejects.toMatchObject({ message: 'not connected' });
    const queued = core.invoke('runs.list', {});
    const pair = createInMemoryPair();
    serveChannel(new ApiRouter().register({ 'runs.list': () => [] }), pair.server, 'memory');
    core.attach(pair.client);
    await expect(queued).resolves.toEqual([]);
  });

  it('on abort sends the codec’s cancel and lets the other end settle, or drops the call when it cannot cancel', async () => {
    const { core, requests } = manual();
    const controller = new AbortController();
    const call = core.invoke('datasets.list', {}, { signal: controller.signal });
    await until(() => requests.length === 1);
    controller.abort();
    // The contract's wire has no cancel message, so the call is dropped here.
    await expect(call).rejects.toMatchObject({ code: 'aborted' });
    await expect(core.invoke('datasets.list', {}, { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('delivers call events to that call only, and close() fails every call and refuses new ones', async () => {
    const pair = createInMemoryPair();
    const sent: unknown[] = [];
    pair.server.onMessage((message) => sent.push(message));
    // A codec whose other end tags events with the call's id and can be asked to cancel (the ML host's shape).
    const hostLike = new RpcClientCore<ClientMessage, unknown>({
      lostError,
      codec: {
        request: (id, method, input) => ({ id, method, input }),
        cancel: (id) => ({ id, method: 'cancel', input: null }),
        decode: (raw) => {
          const m = raw as { id: number; event?: unknown; result?: unknown };
          return 'event' in m ? { kind: 'call-event', id: m.id, event: m.event } : { kind: 'result', id: m.id, value: m.result };
        },
      },
    });
    hostLike.attach(pair.client as never);
    const eventsA: unknown[] = [];
    const eventsB: unknown[] = [];
    const controller = new AbortController();
    const a = hostLike.invoke('op', {}, { onEvent: (e) => eventsA.push(e), signal: controller.signal });
    const b = hostLike.invoke('op', {}, { onEvent: (e) => eventsB.push(e) });
    await until(() => sent.length === 2);
    const [idA, idB] = sent.map((m) => (m as { id: number }).id);
    (pair.server as ServerChannel).send({ id: idA, event: 'a1' } as never);
    (pair.server as ServerChannel).send({ id: idB, event: 'b1' } as never);
    controller.abort();
    await until(() => sent.length === 3);
    expect(sent[2]).toEqual({ id: idA, method: 'cancel', input: null });
    (pair.server as ServerChannel).send({ id: idA, result: 'stopped' } as never);
    await expect(a).resolves.toBe('stopped');
    expect([eventsA, eventsB]).toEqual([['a1'], ['b1']]);
    hostLike.close(new ApiError('unavailable', 'shut down'));
    await expect(b).rejects.toMatchObject({ code: 'unavailable', message: 'shut down' });
    await expect(hostLike.invoke('op', {})).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('keepConnected', { timeout: 5000 }, () => {
  let link: Reconnecting | null = null;
  afterEach(() => link?.close());

  /** Dials in-memory pairs served by one router; the test can drop the current one from the server side. */
  function world(openDelayMs = 1) {
    let release = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const router = new ApiRouter().register({ 'runs.list': () => [], 'datasets.list': () => slow.then(() => []) });
    const servers: ServerChannel[] = [];
    const dialTimes: number[] = [];
    const core: ContractCore = createContractCore({ lostError, queueTimeoutMs: 1000 });
    const states: ConnectionState[] = [];
    link = keepConnected(
      core,
      (opened) => {
        dialTimes.push(Date.now());
        const pair = createInMemoryPair();
        serveChannel(router, pair.server, 'memory');
        servers.push(pair.server);
        setTimeout(opened, openDelayMs);
        return pair.client;
      },
      { min: 10, max: 25 },
    );
    link.onState((state) => states.push(state));
    return { core, client: apiClientOf(core), router, servers, states, dialTimes, release };
  }

  it('fails calls in flight when the connection drops, reconnects by itself, and sends calls made meanwhile', async () => {
    const { client, servers, states, release } = world();
    await expect(client.invoke('runs.list', {})).resolves.toEqual([]);
    const inFlight = client.invoke('datasets.list', {});
    await tick();
    servers[0].close('dropped');
    await expect(inFlight).rejects.toMatchObject({ code: 'transport-closed', message: 'lost: dropped' });
    expect(states.at(-1)).toBe('closed');
    const meanwhile = client.invoke('runs.list', {});
    await expect(meanwhile).resolves.toEqual([]);
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    release();
  });

  it('delivers events on the new connection to the listeners subscribed before the drop', async () => {
    const { client, router, servers } = world();
    const seen: number[] = [];
    client.subscribe('evaluation.progress', (p) => seen.push(p.done));
    await client.invoke('runs.list', {});
    servers[0].close('dropped');
    await client.invoke('runs.list', {});
    router.emit('evaluation.progress', { runId: 1, done: 7, total: 9 });
    await until(() => seen.length === 1);
    expect(seen).toEqual([7]);
  });

  it('waits longer after each failed attempt, up to max, and stops for good on close()', async () => {
    const { servers, dialTimes, states } = world(1000);
    // Every attempt is refused before it opens.
    for (let i = 0; i < 4; i++) {
      await until(() => servers.length === i + 1);
      servers[i].close('refused');
    }
    await until(() => dialTimes.length === 5);
    const gaps = dialTimes.slice(1).map((t, i) => t - dialTimes[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[3]).toBeLessThan(200);
    link?.close();
    const dialled = dialTimes.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(dialTimes.length).toBe(dialled);
    expect(states.at(-1)).toBe('closed');
    expect(states).not.toContain('open');
  });
});
