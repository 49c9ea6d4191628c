import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline, Readable, type Duplex } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppRouter, httpExportUrls, httpMediaUrls, paths } from '../services';
import { newToken, tokenCookie, tokenSource } from './access-token';
import { defaultDataDir } from './data-dir';
import { EXPORTS_PREFIX, serveExport } from './export-download';
import { LABELED_EXPORT_PREFIX } from '../contract/download-paths';
import { serveLabeledExport } from './labeled-download';
import { requestUrl } from './request-target';
import { serveStatic } from './static-files';
import { receiveUpload, UploadError } from './upload';
import { WebSocketEndpoint } from './websocket';

export interface StartServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  dataDir?: string;
  /** The built renderer (default: dist-renderer/ at the repository root). */
  rendererDir?: string;
  /** A fixed token (tests); random by default. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  dataDir: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

const defaultRendererDir = () => fileURLToPath(new URL('../../dist-renderer/', import.meta.url));

/** Answers an upgrade that will not happen, then drops the connection (the client may never close its side). */
function refuseUpgrade(socket: Duplex, status: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function refuse(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`${message}\n`);
}

/**
 * Serve mode: the built renderer, the WebSocket transport on `/ws`, media on `/media/...`,
 * uploads on `POST /api/upload` and model exports on `GET /api/exports/...`, all behind one random access token (the `?token=` query, or the
 * cookie set when the page is opened with it). On a loopback address the Host header must name
 * it too, so a DNS-rebinding page cannot reach the server.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.dataDir ?? defaultDataDir();
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const token = options.token ?? newToken();
  let port = options.port ?? 0;

  const { router, services } = createAppRouter({
    dataDir,
    mode: 'serve',
    capabilities: { nativeDialogs: false, upload: true },
    mediaUrls: httpMediaUrls(token),
    exportUrls: httpExportUrls(token),
  });
  const sockets = new WebSocketEndpoint(router);

  const hostAllowed = (request: IncomingMessage) => {
    if (!LOOPBACK.has(host)) return true;
    const name = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    return LOOPBACK.has(name);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = requestUrl(request, `http://${host}:${port}`);
    if (url === null) return refuse(response, 400, 'Bad request: the request target is not a URL path');
    if (!hostAllowed(request)) return refuse(response, 403, 'Forbidden host');
    const source = tokenSource(request, url, token, port);
    if (source === null) {
      return refuse(response, 401, 'ShuffleNet Studio needs its access token: open the address that `serve` printed, including ?token=...');
    }
    const headers: Record<string, string> = source === 'query' ? { 'set-cookie': tokenCookie(token, port) } : {};

    if (url.pathname === '/api/upload') {
      if (request.method !== 'POST') return refuse(response, 405, 'Use POST');
      try {
        const result = await receiveUpload(request, url, paths.uploads(dataDir));
        response.writeHead(200, { ...headers, 'content-type': 'application/json' });
        return response.end(JSON.stringify(result));
      } catch (error) {
        if (error instanceof UploadError) return refuse(response, error.status, error.message);
        throw error;
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Method not allowed');
    if (url.pathname.startsWith('/media/')) {
      // The request's signal fires when the client leaves before the answer (a grid scrolled on, a tab closed).
      const gone = new AbortController();
      response.once('close', () => gone.abort());
      const media = await services.media.handle(new Request(url, { method: request.method, signal: gone.signal }));
      if (response.destroyed) return;
      response.writeHead(media.status, { ...headers, ...Object.fromEntries(media.headers) });
      if (!media.body) return response.end();
      // Streamed, so a full image is never held whole; a client that leaves just ends the stream.
      return void pipeline(Readable.fromWeb(media.body as WebReadableStream), response, () => undefined);
    }
    if (url.pathname.startsWith(EXPORTS_PREFIX)) return serveExport(services.exports, url.pathname, request.method, response, headers);
    if (url.pathname.startsWith(LABELED_EXPORT_PREFIX)) {
      return serveLabeledExport(services.storage, join(dataDir, 'cache', 'labeled-exports'), url.pathname, request.method, response, headers);
    }
    if (url.pathname === '/ws') return refuse(response, 426, 'Upgrade to WebSocket');
    return serveStatic(rendererDir, url.pathname, response, headers);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('serve:', error);
      if (!response.headersSent) refuse(response, 500, error instanceof Error ? error.message : 'Server error');
      else response.destroy();
    });
  });

  // Every TCP connection, so that shutting down can end them all: a refused upgrade or a WebSocket
  // is no longer the HTTP server's, and one left half-open kept `server.close` waiting forever.
  const connections = new Set<Socket>();
  server.on('connection', (connection: Socket) => {
    connections.add(connection);
    connection.once('close', () => connections.delete(connection));
  });

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestUrl(request, `http://${host}:${port}`);
    if (url === null) return refuseUpgrade(socket, '400 Bad Request');
    const origin = request.headers.origin;
    const sameOrigin = origin === undefined || origin === `http://${request.headers.host}`;
    if (url.pathname !== '/ws' || !hostAllowed(request) || !sameOrigin || tokenSource(request, url, token, port) === null) {
      return refuseUpgrade(socket, '401 Unauthorized');
    }
    sockets.upgrade(request, socket, head);
  };
  // An exception thrown by an 'upgrade' listener ends the process: none may escape.
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own 'error' listener from a socket it hands to 'upgrade': a client that resets
    // the connection would otherwise raise an unhandled 'error' here too.
    socket.on('error', () => socket.destroy());
    try {
      upgrade(request, socket, head);
    } catch (error) {
      console.error(`serve: upgrade of ${JSON.stringify(request.url)} failed: ${error instanceof Error ? error.message : String(error)}`);
      refuseUpgrade(socket, '500 Internal Server Error');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    dataDir,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      sockets.close();
      for (const connection of connections) connection.destroy();
      await closed;
      services.close();
    },
  };
}
