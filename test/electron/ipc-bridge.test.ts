import { describe, expect, it } from 'vitest';
import { ApiRouter } from '../../src-main/contract';
import { UserError } from '../../src-main/engine/errors';
import { bindIpc, type IpcMainLike, type InvokeEventLike, type SenderLike } from '../../src-main/electron/ipc-bridge';
import { EVENT_CHANNEL, INVOKE_CHANNEL, LISTEN_CHANNEL, type EventMessage } from '../../src-main/electron/ipc-channels';

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
  /** What the preload sends: the window's whole set of event names. */
  const listen = (window: ReturnType<typeof createWindow>, names: unknown, frameUrl = window.url()) =>
    handlers.get(LISTEN_CHANNEL)!({ senderFrame: { url: frameUrl }, sender: window.sender }, names);
  return { ipcMain, handlers, invoke, listen };
}

/** A window's WebContents as the bridge sees it: what it was sent, and its 'destroyed' event. */
function createWindow(initialUrl = 'app://studio/index.html') {
  const sent: EventMessage[] = [];
  const closing: (() => void)[] = [];
  let destroyed = false;
  let url = initialUrl;
  const sender: SenderLike = {
    once: (_event, listener) => closing.push(listener),
    isDestroyed: () => destroyed,
    getURL: () => url,
    send: (channel, message) => {
      expect(channel).toBe(EVENT_CHANNEL);
      sent.push(message);
    },
  };
  return {
    sender,
    sent,
    closing,
    url: () => url,
    navigate: (to: string) => (url = to),
    destroy: () => {
      destroyed = true;
      closing.splice(0).forEach((listener) => listener());
    },
  };
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
    bindIpc(ipcMain, router);
    const window = createWindow();
    const other = createWindow();
    const call = (from: SenderLike) =>
      handlers.get(INVOKE_CHANNEL)!({ senderFrame: { url: 'app://studio/' }, sender: from }, 'datasets.cancelScan', { scanId: 's' });
    await call(window.sender);
    await call(window.sender);
    await call(other.sender);
    expect(seen[0]).toBe(seen[1]);
    expect(window.closing).toHaveLength(1);
    expect(seen.map((s) => s.aborted)).toEqual([false, false, false]);
    window.closing[0]!();
    expect(seen.map((s) => s.aborted)).toEqual([true, true, false]);
  });

  it('answers calls from the app page through the router', async () => {
    const { ipcMain, invoke } = createIpcMain();
    const { router, calls } = createRouter();
    bindIpc(ipcMain, router);
    expect(await invoke('app://studio/index.html', 'predict.cancel', { jobId: 'j1' })).toEqual({ result: {} });
    expect(calls).toEqual(['predict.cancel j1']);
  });

  it('refuses frames that are not the app page, before any handler runs', async () => {
    const { ipcMain, invoke } = createIpcMain();
    const { router, calls } = createRouter();
    const rejected: (string | null)[] = [];
    bindIpc(ipcMain, router, { onRejected: (url) => rejected.push(url) });
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
    bindIpc(ipcMain, router);
    const app = 'app://studio/';
    expect(await invoke(app, 'datasets.get', { id: 7 })).toEqual({ error: { code: 'user-error', message: 'No dataset with id 7' } });
    const invalid = (await invoke(app, 'datasets.get', { id: 'seven' })) as { error: { code: string } };
    expect(invalid.error.code).toBe('invalid-input');
    const unknown = (await invoke(app, 'fs.readFile', { path: '/etc/passwd' })) as { error: { code: string } };
    expect(unknown.error.code).toBe('unknown-method');
    const notString = (await invoke(app, 42, {})) as { error: { code: string } };
    expect(notString.error.code).toBe('invalid-input');
  });

  it('pushes validated events only to the windows that listen to their name, while they show the app page', async () => {
    const { ipcMain, handlers, listen } = createIpcMain();
    const { router } = createRouter();
    const unbind = bindIpc(ipcMain, router);
    const progress = { jobId: 'j1', done: 1, total: 3 };
    const listening = createWindow();
    const other = createWindow();
    const leaving = createWindow();
    expect(await listen(listening, ['predict.progress', 'predict.done'])).toEqual({ result: null });
    expect(await listen(other, ['training.batch'])).toEqual({ result: null });
    expect(await listen(leaving, ['predict.progress'])).toEqual({ result: null });
    leaving.navigate('https://example.com/');
    router.emit('predict.progress', progress);
    expect(listening.sent).toEqual([{ event: 'predict.progress', payload: progress }]);
    expect(other.sent).toEqual([]);
    expect(leaving.sent).toEqual([]);

    // The whole set replaces the last one (what a reloaded page's preload sends first: none).
    expect(await listen(listening, ['predict.done'])).toEqual({ result: null });
    router.emit('predict.progress', progress);
    expect(listening.sent).toHaveLength(1);
    expect(await listen(listening, [])).toEqual({ result: null });
    router.emit('predict.done', { jobId: 'j1', predicted: 1, skipped: 0, tta: 'none' });
    expect(listening.sent).toHaveLength(1);

    await listen(listening, ['predict.progress']);
    unbind();
    expect(handlers.has(INVOKE_CHANNEL)).toBe(false);
    expect(handlers.has(LISTEN_CHANNEL)).toBe(false);
    router.emit('predict.progress', progress);
    expect(listening.sent).toHaveLength(1);
  });

  it('drops a window’s event names when it closes', async () => {
    const { ipcMain, listen } = createIpcMain();
    const { router } = createRouter();
    bindIpc(ipcMain, router);
    const window = createWindow();
    await listen(window, ['predict.progress']);
    window.destroy();
    // The bridge's own check (isDestroyed) would hide a leak: count what the router still calls.
    const delivered: unknown[] = [];
    window.sender.isDestroyed = () => {
      delivered.push('asked');
      return true;
    };
    router.emit('predict.progress', { jobId: 'j1', done: 1, total: 3 });
    expect(delivered).toEqual([]);
  });

  it('refuses unknown event names by name and keeps the set as it was; refuses malformed sets and foreign frames', async () => {
    const { ipcMain, listen } = createIpcMain();
    const { router } = createRouter();
    const rejected: (string | null)[] = [];
    bindIpc(ipcMain, router, { onRejected: (url) => rejected.push(url) });
    const window = createWindow();
    await listen(window, ['predict.progress']);
    const unknown = (await listen(window, ['predict.done', 'training.bach'])) as { error: { code: string; message: string } };
    expect(unknown.error.code).toBe('unknown-event');
    expect(unknown.error.message).toMatch(/Unknown event "training\.bach"; the events are .*training\.batch/);
    expect(((await listen(window, 'predict.done')) as { error: { code: string } }).error.code).toBe('invalid-input');
    expect(((await listen(window, [3])) as { error: { code: string } }).error.code).toBe('invalid-input');
    expect(await listen(window, ['predict.done'], 'https://example.com/')).toEqual({
      error: { code: 'forbidden', message: 'This page may not call the app.' },
    });
    expect(rejected).toEqual(['https://example.com/']);
    router.emit('predict.progress', { jobId: 'j1', done: 1, total: 3 });
    router.emit('predict.done', { jobId: 'j1', predicted: 1, skipped: 0, tta: 'none' });
    expect(window.sent.map((m) => m.event)).toEqual(['predict.progress']);
  });
});
