import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveChannel, type ApiRouter, type ClientMessage, type ServerChannel, type WireError } from '../contract';

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The reply to a frame that is not a request at all (binary, or text that is not JSON). It has no
 * request id to answer, so it carries `id: null` (as JSON-RPC does); the app's client ignores it, a
 * hand-written client sees why it got no answer.
 */
function replyUnreadable(socket: WebSocket, message: string): void {
  const error: WireError = { code: 'invalid-input', message };
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ id: null, error }));
}

/** One browser tab's socket as a contract channel (JSON text frames). */
function socketChannel(socket: WebSocket): ServerChannel {
  return {
    send(message) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    },
    onMessage(listener) {
      const handler = (data: Buffer, isBinary: boolean) => {
        if (isBinary)
          return replyUnreadable(socket, 'Binary frames are not understood: send JSON text frames {id, method, input} or {id, listen: [event names]}');
        let message: unknown;
        try {
          message = JSON.parse(data.toString('utf8'));
        } catch {
          return replyUnreadable(socket, `Not JSON (${data.length} bytes): send JSON text frames {id, method, input} or {id, listen: [event names]}`);
        }
        // Without an id the contract's reply ("Malformed request", "Unknown event") has nowhere to go.
        const id = (message as { id?: unknown } | null)?.id;
        if (typeof id !== 'number' && typeof id !== 'string')
          return replyUnreadable(socket, 'A request needs an id (a number or a string): {id, method, input} or {id, listen: [event names]}');
        listener(message as ClientMessage);
      };
      socket.on('message', handler);
      return () => socket.off('message', handler);
    },
    onClose(listener) {
      const handler = (code: number) => listener(`socket closed (${code})`);
      socket.on('close', handler);
      return () => socket.off('close', handler);
    },
    close() {
      socket.close();
    },
  };
}

/**
 * The `/ws` endpoint: every socket may call every method, and gets the events it listens to
 * (`{id, listen: [names]}`), until it closes.
 */
export class WebSocketEndpoint {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  constructor(private readonly router: ApiRouter) {
    this.wss.on('connection', (socket: WebSocket) => {
      // A protocol error (a frame over maxPayload, invalid UTF-8, reserved bits set, noise) is
      // emitted here after `ws` has sent that socket a close frame with the matching code (1009,
      // 1007, 1002) and ended it. Without a listener the 'error' event would end the whole server.
      socket.on('error', (error: Error & { code?: string }) => {
        console.error(`serve: closed a WebSocket after a protocol error: ${error.message}${error.code ? ` (${error.code})` : ''}`);
      });
      serveChannel(this.router, socketChannel(socket), 'ws');
    });
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
