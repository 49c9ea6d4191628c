/**
 * The sandboxed preload: exposes exactly `window.studio = { invoke, subscribe, pathForFile }`.
 * `ipcRenderer` itself never crosses the bridge, so the page can reach only the app channels.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL, LISTEN_CHANNEL, type EventMessage, type InvokeReply } from '../electron/ipc-channels';

type Listener = (payload: unknown) => void;

const listeners = new Map<string, Set<Listener>>();

// One IPC listener for the whole page; subscribers are kept here, and the main process is told
// only when a name gains its first subscriber or loses its last (it sends nothing else).
ipcRenderer.on(EVENT_CHANNEL, (_event, message: EventMessage) => {
  for (const listener of [...(listeners.get(message.event) ?? [])]) listener(message.payload);
});

/**
 * Tells the main process the page's whole set of event names (see LISTEN_CHANNEL). It goes out
 * at once, ahead of any call made after it, in the same ordered stream of this page's messages.
 */
function tellListening(): void {
  const names = [...listeners.keys()];
  const refused = (message: string) => console.error(`The app refused to send the events ${names.join(', ') || '(none)'}: ${message}`);
  ipcRenderer.invoke(LISTEN_CHANNEL, names).then(
    (reply: InvokeReply) => {
      if ('error' in reply) refused(reply.error.message);
    },
    (error: unknown) => refused(String(error)),
  );
}

// A reloaded page starts listening to nothing, whatever this window's last page listened to.
tellListening();

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
  let set = listeners.get(event);
  if (!set) {
    set = new Set<Listener>();
    listeners.set(event, set);
    tellListening();
  }
  set.add(listener);
  const own = set;
  return () => {
    own.delete(listener);
    if (own.size > 0 || listeners.get(event) !== own) return;
    listeners.delete(event);
    tellListening();
  };
}

/** The absolute path of a dropped file or folder (`File.path` is gone since Electron 32). */
function pathForFile(file: File): string {
  return webUtils.getPathForFile(file);
}

contextBridge.exposeInMainWorld('studio', { invoke, subscribe, pathForFile });
