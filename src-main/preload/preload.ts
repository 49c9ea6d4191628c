/**
 * The sandboxed preload: exposes exactly `window.studio = { invoke, subscribe, pathForFile }`.
 * `ipcRenderer` itself never crosses the bridge, so the page can reach only the two app channels.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type EventMessage, type InvokeReply } from '../electron/ipc-channels';

type Listener = (payload: unknown) => void;

const listeners = new Map<string, Set<Listener>>();

// One IPC listener for the whole page; subscribers are kept here so unsubscribing never needs IPC.
ipcRenderer.on(EVENT_CHANNEL, (_event, message: EventMessage) => {
  for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
});

async function invoke(method: string, input: unknown): Promise<unknown> {
  const reply = (await ipcRenderer.invoke(INVOKE_CHANNEL, method, input)) as InvokeReply;
  // A plain { code, message } object survives the context bridge; an Error would lose its code.
  if ('error' in reply) return Promise.reject({ code: reply.error.code, message: reply.error.message });
  return reply.result;
}

function subscribe(event: string, listener: Listener): () => void {
  if (typeof event !== 'string' || typeof listener !== 'function') {
    throw new TypeError('subscribe(event, listener) needs an event name and a function');
  }
  const set = listeners.get(event) ?? new Set<Listener>();
  listeners.set(event, set);
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) listeners.delete(event);
  };
}

/** The absolute path of a dropped file or folder (`File.path` is gone since Electron 32). */
function pathForFile(file: File): string {
  return webUtils.getPathForFile(file);
}

contextBridge.exposeInMainWorld('studio', { invoke, subscribe, pathForFile });
