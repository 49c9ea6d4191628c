import { channelListeners } from '../../src-main/contract/channel-listeners';
import { apiClientOf, createContractCore } from '../../src-main/contract/api-client';
import { keepConnected } from '../../src-main/contract/reconnect';
import type { MessageChannel } from '../../src-main/contract/transport';
import type { ClientMessage, ServerMessage } from '../../src-main/contract/wire';
import { ApiError } from './api-error';
import type { ConnectionState, DroppedFile, StudioClient } from './studio-client';

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

/** One browser WebSocket as a contract channel (JSON text frames); `opened` once it can send. */
function socketChannel(ws: WebSocket, opened: () => void): MessageChannel<ClientMessage, ServerMessage> {
  const listeners = channelListeners<ServerMessage>();
  ws.onopen = opened;
  ws.onmessage = (event: MessageEvent) => {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(event.data)) as ServerMessage;
    } catch {
      return;
    }
    listeners.deliver(message);
  };
  // Every error is followed by a close event, which is where the state and reconnect are handled.
  ws.onerror = () => {};
  ws.onclose = (event: CloseEvent) => {
    listeners.closed(`socket closed (${event.code})`);
  };
  return {
    send: (message) => ws.send(JSON.stringify(message)),
    onMessage: listeners.onMessage,
    onClose: listeners.onClose,
    close: () => ws.close(),
  };
}

/**
 * The browser's client for serve mode: the contract's client core (rpc-core.ts) over one
 * WebSocket at a time, reconnecting when it drops (reconnect.ts). Calls made while disconnected
 * wait up to `queueTimeoutMs` for the next connection.
 */
export function createWsClient(options: WsClientOptions): StudioClient & { close(): void } {
  const WS = options.WebSocketImpl ?? WebSocket;
  const fetchImpl = options.fetchImpl ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const core = createContractCore({
    queueTimeoutMs: options.queueTimeoutMs ?? 20_000,
    // The server forgets requests with the socket, so in-flight calls cannot be answered any more.
    lostError: () => new ApiError('transport-closed', 'The connection to the ShuffleNet Studio server was lost.'),
    notConnectedError: () => new ApiError('transport-closed', 'Not connected to the ShuffleNet Studio server. Is `npm run serve` still running?'),
  });
  const link = keepConnected(core, (opened) => socketChannel(new WS(options.url), opened), options.reconnectMs ?? { min: 500, max: 5000 });
  const api = apiClientOf(core);

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

  function close() {
    link.close();
    core.close(new ApiError('transport-closed', 'The client was closed.'));
  }

  return {
    kind: 'ws',
    invoke: api.invoke,
    subscribe: api.subscribe,
    pathForFile: () => null,
    upload,
    mediaUrl,
    onConnection: (cb: (state: ConnectionState) => void) => link.onState(cb),
    close,
  };
}
