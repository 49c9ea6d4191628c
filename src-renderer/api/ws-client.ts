import { ApiError, toApiError } from './api-error';
import type { ConnectionState, DroppedFile, StudioClient } from './studio-client';
import type { EventName, Input, MethodName, Output, Payload } from './types';

export interface WsClientOptions {
  /** ws(s)://host/ws?token=...; defaults to the page's own host and token. */
  url: string;
  /** http(s)://host used for uploads; defaults to the page's origin. */
  httpBase: string;
  token: string | null;
  WebSocketImpl?: typeof WebSocket;
  fetchImpl?: typeof fetch;
  /** Reconnect delays grow from min to max milliseconds. */
  reconnectMs?: { min: number; max: number };
  /** A request made while disconnected fails after this long. */
  queueTimeoutMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: ApiError) => void;
  sent: boolean;
  frame: string;
  timer?: ReturnType<typeof setTimeout>;
}

type ServerFrame =
  | { id: number; result: unknown }
  | { id: number; error: { code: string; message: string } }
  | { event: string; payload: unknown };

export function tokenFromSearch(search: string): string | null {
  return new URLSearchParams(search).get('token');
}

/** The WebSocket and upload addresses for a page served by `serve` mode. */
export function wsOptionsFromLocation(loc: Pick<Location, 'protocol' | 'host' | 'search' | 'origin'>): WsClientOptions {
  const token = tokenFromSearch(loc.search);
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return { url: `${scheme}//${loc.host}/ws${query}`, httpBase: loc.origin, token };
}

const UPLOAD_CONCURRENCY = 3;

/**
 * The server stores a batch as `<batch folder>/<relative path>`. When one folder was dropped, every
 * path starts with its name, and that folder (not the batch folder holding it) is what the person
 * meant: its sub-folders are the classes.
 */
export function droppedRoot(batchFolder: string, files: readonly DroppedFile[]): string {
  const first = files[0]?.relativePath.split('/') ?? [];
  if (first.length < 2) return batchFolder;
  const top = first[0];
  const shared = files.every((f) => f.relativePath.startsWith(`${top}/`));
  if (!shared) return batchFolder;
  const sep = batchFolder.includes('\\') && !batchFolder.includes('/') ? '\\' : '/';
  return `${batchFolder}${sep}${top}`;
}

/** The browser's client for serve mode: one WebSocket with request ids, reconnecting when it drops. */
export function createWsClient(options: WsClientOptions): StudioClient & { close(): void } {
  const WS = options.WebSocketImpl ?? WebSocket;
  const fetchImpl = options.fetchImpl ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const { min, max } = options.reconnectMs ?? { min: 500, max: 5000 };
  const queueTimeoutMs = options.queueTimeoutMs ?? 20_000;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let nextId = 1;
  let delay = min;
  let closedByUser = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  function setState(next: ConnectionState) {
    state = next;
    for (const cb of stateListeners) cb(next);
  }

  function connect() {
    setState('connecting');
    const ws = new WS(options.url);
    socket = ws;
    ws.onopen = () => {
      delay = min;
      setState('open');
      for (const request of pending.values()) {
        if (request.sent) continue;
        clearTimeout(request.timer);
        request.sent = true;
        ws.send(request.frame);
      }
    };
    ws.onmessage = (message: MessageEvent) => handleFrame(String(message.data));
    // Every error is followed by a close event, which is where the state and reconnect are handled.
    ws.onerror = () => {};
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      // The server forgets requests with the socket, so in-flight calls cannot be answered any more.
      for (const [id, request] of pending) {
        if (!request.sent) continue;
        pending.delete(id);
        request.reject(new ApiError('transport-closed', 'The connection to the ShuffleNet Studio server was lost.'));
      }
      setState('closed');
      if (closedByUser) return;
      reconnectTimer = setTimeout(connect, delay);
      delay = Math.min(max, delay * 2);
    };
  }

  function handleFrame(text: string) {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if ('event' in frame) {
      for (const cb of listeners.get(frame.event) ?? []) {
        try {
          cb(frame.payload);
        } catch (err) {
          console.error(`A listener for ${frame.event} failed`, err);
        }
      }
      return;
    }
    const request = pending.get(frame.id);
    if (!request) return;
    pending.delete(frame.id);
    if ('error' in frame) request.reject(toApiError(frame.error));
    else request.resolve(frame.result);
  }

  function invoke<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
    const id = nextId++;
    const frame = JSON.stringify({ id, method, input });
    return new Promise<Output<M>>((resolve, reject) => {
      const request: Pending = { resolve: resolve as (value: unknown) => void, reject, sent: false, frame };
      pending.set(id, request);
      if (socket && state === 'open') {
        request.sent = true;
        socket.send(frame);
        return;
      }
      request.timer = setTimeout(() => {
        pending.delete(id);
        reject(new ApiError('transport-closed', 'Not connected to the ShuffleNet Studio server. Is `npm run serve` still running?'));
      }, queueTimeoutMs);
    });
  }

  function subscribe<E extends EventName>(event: E, cb: (payload: Payload<E>) => void): () => void {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    const listener = cb as (payload: unknown) => void;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  function withToken(path: string): string {
    if (!options.token) return path;
    const sep = path.includes('?') ? '&' : '?';
    return `${path}${sep}token=${encodeURIComponent(options.token)}`;
  }

  async function uploadOne(batch: string, item: DroppedFile): Promise<string> {
    const response = await fetchImpl(`${options.httpBase}${withToken(`/api/upload?batch=${encodeURIComponent(batch)}`)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'X-Relative-Path': encodeURIComponent(item.relativePath) },
      body: item.file,
    });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new ApiError('upload-failed', `Uploading ${item.relativePath} failed (${response.status}): ${text || response.statusText}`);
    }
    const body = (await response.json()) as { folder?: unknown };
    if (typeof body.folder !== 'string') throw new ApiError('upload-failed', 'The server did not say where the upload went.');
    return body.folder;
  }

  async function upload(files: DroppedFile[], onProgress?: (done: number, total: number) => void) {
    if (files.length === 0) throw new ApiError('upload-failed', 'The dropped folder has no files.');
    const batch = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    let folder = '';
    let done = 0;
    let cursor = 0;
    const worker = async () => {
      while (cursor < files.length) {
        const item = files[cursor++];
        folder = await uploadOne(batch, item);
        onProgress?.(++done, files.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, files.length) }, worker));
    return { folder: droppedRoot(folder, files) };
  }

  function mediaUrl(url: string): string {
    if (!options.token || /[?&]token=/.test(url) || /^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
    return withToken(url);
  }

  function onConnection(cb: (state: ConnectionState) => void) {
    stateListeners.add(cb);
    cb(state);
    return () => {
      stateListeners.delete(cb);
    };
  }

  function close() {
    closedByUser = true;
    clearTimeout(reconnectTimer);
    socket?.close();
  }

  connect();
  return { kind: 'ws', invoke, subscribe, pathForFile: () => null, upload, mediaUrl, onConnection, close };
}
