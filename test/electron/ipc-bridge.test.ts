import { describe, expect, it } from 'vitest';
import { ApiRouter } from '../../src-main/contract';
import { UserError } from '../../src-main/engine/errors';
import { bindIpc, type EventTarget, type IpcMainLike, type InvokeEventLike } from '../../src-main/electron/ipc-bridge';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type EventMessage } from '../../src-main/electron/ipc-channels';

type InvokeListener = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;

/** Electron's ipcMain reduced to its handler table: the bridge's logic runs unchanged. */
function createIpcMain() {
  const handlers = new Map<string, InvokeListener>();
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  const invoke = (frameUrl: string | null, ...args: unknown[]) =>
    handlers.get(INVOKE_CHANNEL)!({ senderFrame: frameUrl === null ? null : { url: frameUrl } }, ...args);
  return { ipcMain, handlers, invoke };
}

function createTarget(url: string) {
  const sent: EventMessage[] = [];
  let destroyed = false;
  const target: EventTarget = {
    isDestroyed: () => destroyed,
    getURL: () => url,
    send: (channel, message) => {
      expect(channel).toBe(EVENT_CHANNEL);
      sent.push(message);
    },
  };
  return { target, sent, destroy: () => (destroyed = true) };
}

function createRouter() {
  const calls: string[] = [];
  const router = new ApiRouter().register({
    'datasets.get': async ({ id }) => {
      calls.push(`datasets.get ${id}`);
      throw new UserError(`No dataset with id ${id}`);
    },
    'predict.cancel': async ({ jobId }) => {
      calls.push(`predict.cancel ${jobId}`);
      return {};
    },
  });
  return { router, calls };
}

describe('Electron IPC bridge', () => {
  it('a call from a window hears when that window closes (its signal aborts), so a scan it started stops', async () => {
    const { ipcMain, handlers } = createIpcMain();
    const seen: AbortSignal[] = [];
    const router = new ApiRouter().register({
      'datasets.cancelScan': async (_input, context) => {
        seen.push(context.signal!);
        return { cancelled: false };
      },
    });
    bindIpc(ipcMain, router, { targets: () => [] });
    const closing: (() => void)[] = [];
    const sender = { once: (event: 'destroyed', listener: () => void) => closing.push(listener) };
    const other = { once: () => undefined };
    const call = (from: typeof sender | typeof other) =>
      handlers.get(INVOKE_CHANNEL)!({ senderFrame: { url: 'app://studio/' }, sender: from }, 'datasets.cancelScan', { scanId: 's' });
    await call(sender);
    await call(sender);
    await call(other);
    expect(seen[0]).toBe(seen[1]);
    expect(closing).toHaveLength(1);
    expect(seen.map((s) => s.aborted)).toEqual([false, false, false]);
    closing[0]();
    expect(seen.map((s) => s.aborted)).toEqual([true, true, false]);
  });

  it('answers calls from the app page through the router', async () => {
    const { ipcMain, invoke } = createIpcMain();
    const { router, calls } = createRouter();
    bindIpc(ipcMain, router, { targets: () => [] });
    expect(await invoke('app://studio/index.html', 'predict.cancel', { jobId: 'j1' })).toEqual({ result: {} });
    expect(calls).toEqual(['predict.cancel j1']);
  });

  it('refuses frames that are not the app page, before any handler runs', async () => {
    const { ipcMain, invoke } = createIpcMain();
    const { router, calls } = createRouter();
    const rejected: (string | null)[] = [];
    bindIpc(ipcMain, router, { targets: () => [], onRejected: (url) => rejected.push(url) });
    for (const url of ['file:///tmp/evil.html', 'https://example.com/', 'app://other/index.html', 'devtools://devtools/x', null]) {
      const reply = await invoke(url, 'predict.cancel', { jobId: 'j1' });
      expect(reply, String(url)).toEqual({ error: { code: 'forbidden', message: 'This page may not call the app.' } });
    }
    expect(calls).toEqual([]);
    expect(rejected).toHaveLength(5);
  });

  it('returns validation, unknown-method and handler errors as { code, message }', async () => {
    const { ipcMain, invoke } = createIpcMain();
    const { router } = createRouter();
    bindIpc(ipcMain, router, { targets: () => [] });
    const app = 'app://studio/';
    expect(await invoke(app, 'datasets.get', { id: 7 })).toEqual({ error: { code: 'user-error', message: 'No dataset with id 7' } });
    const invalid = (await invoke(app, 'datasets.get', { id: 'seven' })) as { error: { code: string } };
    expect(invalid.error.code).toBe('invalid-input');
    const unknown = (await invoke(app, 'fs.readFile', { path: '/etc/passwd' })) as { error: { code: string } };
    expect(unknown.error.code).toBe('unknown-method');
    const notString = (await invoke(app, 42, {})) as { error: { code: string } };
    expect(notString.error.code).toBe('invalid-input');
  });

  it('pushes validated events to live app windows only, and unbinds', async () => {
    const { ipcMain, handlers } = createIpcMain();
    const { router } = createRouter();
    const app = createTarget('app://studio/index.html');
    const gone = createTarget('app://studio/index.html');
    const foreign = createTarget('https://example.com/');
    gone.destroy();
    const unbind = bindIpc(ipcMain, router, { targets: () => [app.target, gone.target, foreign.target] });
    router.emit('predict.progress', { jobId: 'j1', done: 1, total: 3 });
    expect(app.sent).toEqual([{ event: 'predict.progress', payload: { jobId: 'j1', done: 1, total: 3 } }]);
    expect(gone.sent).toEqual([]);
    expect(foreign.sent).toEqual([]);

    unbind();
    expect(handlers.has(INVOKE_CHANNEL)).toBe(false);
    router.emit('predict.progress', { jobId: 'j1', done: 2, total: 3 });
    expect(app.sent).toHaveLength(1);
  });
});
