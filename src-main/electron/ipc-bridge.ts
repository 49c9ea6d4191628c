import { checkEventNames, eventNameList, toWireError, type ApiRouter, type ConnectionEvents } from '../contract';
import { isAppUrl } from './app-origin';
import { EVENT_CHANNEL, INVOKE_CHANNEL, LISTEN_CHANNEL, type EventMessage, type InvokeReply } from './ipc-channels';

/** The part of `ipcMain` the bridge uses (Electron's own object in the app). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** The part of a sender `WebContents` the bridge uses: its window closing, and pushing events to it. */
export interface SenderLike {
  once(event: 'destroyed', listener: () => void): unknown;
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, message: EventMessage): void;
}

/** The part of an `IpcMainInvokeEvent` the bridge reads. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null;
  sender?: SenderLike;
}

export interface IpcBridgeOptions {
  /** Told about every refused call (and refused listen, as `studio:listen`), for the log. */
  onRejected?: (url: string | null, method: unknown) => void;
}

const FORBIDDEN: InvokeReply = { error: { code: 'forbidden', message: 'This page may not call the app.' } };

/**
 * Binds the router to Electron IPC: one invoke channel for every method, one listen channel for
 * the names of the events a window wants, one event channel that carries those events (and only
 * those) to it. A call or listen is answered only when its frame shows the app's own page
 * (`app://studio`); anything else (a navigated or injected frame) gets `forbidden` without
 * reaching a handler. Returns the function that unbinds.
 */
export function bindIpc(ipcMain: IpcMainLike, router: ApiRouter, options: IpcBridgeOptions = {}): () => void {
  // One entry a window, made at its first call or listen and dropped when it closes: its signal
  // aborts then, so a folder scan it asked for stops (as a WebSocket client's does when its socket
  // closes) instead of walking on for nobody, and its event names go with it.
  const windows = new WeakMap<SenderLike, { signal: AbortSignal; events: ConnectionEvents }>();
  const open = new Set<ConnectionEvents>();
  const windowOf = (sender: SenderLike) => {
    let window = windows.get(sender);
    if (!window) {
      const controller = new AbortController();
      const events = router.connectionEvents((event, payload) => {
        // Checked at each event: a window that closed or left the app's page gets none.
        if (!sender.isDestroyed() && isAppUrl(sender.getURL())) sender.send(EVENT_CHANNEL, { event, payload });
      });
      open.add(events);
      sender.once('destroyed', () => {
        controller.abort();
        events.close();
        open.delete(events);
      });
      window = { signal: controller.signal, events };
      windows.set(sender, window);
    }
    return window;
  };
  const fromApp = (event: InvokeEventLike, what: unknown): boolean => {
    const url = event.senderFrame?.url ?? null;
    if (isAppUrl(url)) return true;
    options.onRejected?.(url, what);
    return false;
  };

  ipcMain.handle(INVOKE_CHANNEL, async (event, method, input): Promise<InvokeReply> => {
    if (!fromApp(event, method)) return FORBIDDEN;
    if (typeof method !== 'string') return { error: { code: 'invalid-input', message: 'The method name must be a string.' } };
    try {
      return { result: await router.call(method, input, { transport: 'ipc', signal: event.sender && windowOf(event.sender).signal }) };
    } catch (error) {
      return { error: toWireError(error) };
    }
  });

  // No await: the set is in place when this returns, before Electron hands over the page's next
  // message (one page's IPC messages arrive in the order sent), so a call made after `subscribe`
  // cannot emit before the window listens.
  ipcMain.handle(LISTEN_CHANNEL, async (event, names): Promise<InvokeReply> => {
    if (!fromApp(event, LISTEN_CHANNEL)) return FORBIDDEN;
    if (!event.sender) return { error: { code: 'invalid-input', message: 'A listen needs a window to send the events to.' } };
    const parsed = eventNameList.safeParse(names);
    if (!parsed.success) return { error: { code: 'invalid-input', message: `${LISTEN_CHANNEL} takes the page's event names, an array of strings.` } };
    try {
      const wanted = new Set(checkEventNames(parsed.data));
      const { events } = windowOf(event.sender);
      events.unlisten([...events.names].filter((name) => !wanted.has(name)));
      events.listen([...wanted]);
      return { result: null };
    } catch (error) {
      return { error: toWireError(error) };
    }
  });

  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    ipcMain.removeHandler(LISTEN_CHANNEL);
    for (const events of open) events.close();
    open.clear();
  };
}
