import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain } from '../../scripts/build-main.mjs';
import { EVENT_CHANNEL, INVOKE_CHANNEL, LISTEN_CHANNEL } from '../../src-main/electron/ipc-channels';

type Listener = (event: unknown, message: unknown) => void;

let outDir: string;
let bundle: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'preload-build-'));
  await buildMain({ only: ['preload'], outDir, quiet: true });
  bundle = readFileSync(join(outDir, 'preload', 'preload.js'), 'utf8');
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/**
 * Runs the built preload the way a sandboxed renderer does: CommonJS with `require('electron')`
 * as the only module. The Electron objects it touches are recorded.
 */
function loadPreload(reply: (method: string, input: unknown) => unknown) {
  const exposed: { key: string; api: Record<string, unknown> }[] = [];
  const listeners = new Map<string, Listener>();
  const invoked: unknown[][] = [];
  /** The sets of event names the preload told the main process, in order. */
  const listened: unknown[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.push({ key, api }) },
    ipcRenderer: {
      on: (channel: string, listener: Listener) => listeners.set(channel, listener),
      invoke: async (channel: string, method: string, input: unknown) => {
        if (channel === LISTEN_CHANNEL) {
          listened.push(method);
          return { result: null };
        }
        invoked.push([channel, method, input]);
        return reply(method, input);
      },
    },
    webUtils: { getPathForFile: (file: { name: string }) => `/home/person/${file.name}` },
  };
  const allowed = new Set(['electron']);
  const require = (name: string) => {
    if (!allowed.has(name)) throw new Error(`A sandboxed preload cannot require "${name}"`);
    return electron;
  };
  const module = { exports: {} };
  vm.runInNewContext(bundle, { require, module, exports: module.exports, __filename: 'preload.js', __dirname: '.' });
  return { exposed, listeners, invoked, listened };
}

describe('preload bridge', () => {
  it('exposes exactly window.studio = { invoke, subscribe, pathForFile }', () => {
    const { exposed } = loadPreload(() => ({ result: null }));
    expect(exposed).toHaveLength(1);
    expect(exposed[0]!.key).toBe('studio');
    expect(Object.keys(exposed[0]!.api).sort()).toEqual(['invoke', 'pathForFile', 'subscribe']);
    for (const value of Object.values(exposed[0]!.api)) expect(typeof value).toBe('function');
  });

  it('never hands out ipcRenderer or Node globals', () => {
    expect(bundle).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    expect(bundle).not.toMatch(/require\(["'](?!electron["'])[^"']+["']\)/);
  });

  it('invoke resolves results and rejects with a plain { code, message }', async () => {
    const { exposed, invoked } = loadPreload((method) =>
      method === 'datasets.list' ? { result: [{ id: 1 }] } : { error: { code: 'not-found', message: 'No dataset with id 9' } },
    );
    const api = exposed[0]!.api as { invoke: (m: string, i: unknown) => Promise<unknown> };
    await expect(api.invoke('datasets.list', {})).resolves.toEqual([{ id: 1 }]);
    await expect(api.invoke('datasets.get', { id: 9 })).rejects.toEqual({ code: 'not-found', message: 'No dataset with id 9' });
    expect(invoked).toEqual([
      [INVOKE_CHANNEL, 'datasets.list', {}],
      [INVOKE_CHANNEL, 'datasets.get', { id: 9 }],
    ]);
  });

  it('subscribe delivers only the named event until unsubscribed', () => {
    const { exposed, listeners } = loadPreload(() => ({ result: null }));
    const api = exposed[0]!.api as { subscribe: (e: string, cb: (p: unknown) => void) => () => void };
    const got: unknown[] = [];
    const stop = api.subscribe('predict.item', (payload) => got.push(payload));
    const push = listeners.get(EVENT_CHANNEL)!;
    push({}, { event: 'predict.item', payload: { n: 1 } });
    push({}, { event: 'predict.done', payload: { n: 2 } });
    stop();
    push({}, { event: 'predict.item', payload: { n: 3 } });
    expect(got).toEqual([{ n: 1 }]);
  });

  it('tells the main process its whole set of event names at start and when a name gains its first or loses its last subscriber', () => {
    const { exposed, listened } = loadPreload(() => ({ result: null }));
    const api = exposed[0]!.api as { subscribe: (e: string, cb: (p: unknown) => void) => () => void };
    // At start: none, so a reloaded page does not inherit what the last one listened to.
    expect(listened).toEqual([[]]);
    const stopA = api.subscribe('predict.item', () => {});
    const stopB = api.subscribe('predict.item', () => {});
    const stopDone = api.subscribe('predict.done', () => {});
    stopA();
    expect(listened).toEqual([[], ['predict.item'], ['predict.item', 'predict.done']]);
    stopB();
    stopDone();
    expect(listened.slice(3)).toEqual([['predict.done'], []]);
  });

  it('pathForFile uses webUtils.getPathForFile', () => {
    const { exposed } = loadPreload(() => ({ result: null }));
    const api = exposed[0]!.api as { pathForFile: (f: unknown) => string };
    expect(api.pathForFile({ name: 'photos' })).toBe('/home/person/photos');
  });
});
