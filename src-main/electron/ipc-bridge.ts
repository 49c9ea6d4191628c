import { toWireError, type ApiRouter } from '../contract';
import { isAppUrl } from './app-origin';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type EventMessage, type InvokeReply } from './ipc-channels';

/** The part of `ipcMain` the bridge uses (Electron's own object in the app). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** The part of a sender `WebContents` the bridge listens to: its window closing. */
export interface SenderLike {
  once(event: 'destroyed', listener: () => void): unknown;
}

/** The part of an `IpcMainInvokeEvent` the bridge reads. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null;
  sender?: SenderLike;
}

/** The part of a `WebContents` events are pushed to. */
export interface EventTarget {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, message: EventMessage): void;
}

export interface IpcBridgeOptions {
  /** Where events go: the app's windows, read at each event so new windows get them too. */
  targets: () => EventTarget[];
  /** Told about every refused call, for the log. */
  onRejected?: (url: string | null, method: unknown) => void;
}

/**
 * Binds the router to Electron IPC: one invoke channel for every method, one event channel for
 * every event. A call is answered only when its frame shows the app's own page (`app://studio`);
 * anything else (a navigated or injected frame) gets `forbidden` without reaching a handler.
 * Returns the function that unbinds.
 */
export function bindIpc(ipcMain: IpcMainLike, router: ApiRouter, options: IpcBridgeOptions): () => void {
  // One signal a window: aborted when it closes, so a folder scan it asked for stops (as a
  // WebSocket client's does when its socket closes) instead of walking on for nobody.
  const windows = new WeakMap<SenderLike, AbortSignal>();
  const signalOf = (sender: SenderLike | undefined): AbortSignal | undefined => {
    if (!sender) return undefined;
    let signal = windows.get(sender);
    if (!signal) {
      const controller = new AbortController();
      sender.once('destroyed', () => controller.abort());
      signal = controller.signal;
      windows.set(sender, signal);
    }
    return signal;
  };
  ipcMain.handle(INVOKE_CHANNEL, async (event, method, input): Promise<InvokeReply> => {
    const url = event.senderFrame?.url ?? null;
    if (!isAppUrl(url)) {
      options.onRejected?.(url, method);
      return { error: { code: 'forbidden', message: 'This page may not call the app.' } };
    }
    if (typeof method !== 'string') return { error: { code: 'invalid-input', message: 'The method name must be a string.' } };
    try {
      return { result: await router.call(method, input, { transport: 'ipc', signal: signalOf(event.sender) }) };
    } catch (error) {
      return { error: toWireError(error) };
    }
  });
  const stopEvents = router.onEvent((event, payload) => {
    for (const target of options.targets()) {
      if (!target.isDestroyed() && isAppUrl(target.getURL())) target.send(EVENT_CHANNEL, { event, payload });
    }
  });
  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    stopEvents();
  };
}
