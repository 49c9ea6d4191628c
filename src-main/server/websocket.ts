import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveChannel, type ApiRouter, type ClientMessage, type ServerChannel } from '../contract';

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** One browser tab's socket as a contract channel (JSON text frames). */
function socketChannel(socket: WebSocket): ServerChannel {
  return {
    send(message) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    },
    onMessage(listener) {
      const handler = (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        let message: unknown;
        try {
          message = JSON.parse(data.toString('utf8'));
        } catch {
          return;
        }
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

/** The `/ws` endpoint: every socket gets every event and may call every method. */
export class WebSocketEndpoint {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  constructor(private readonly router: ApiRouter) {
    this.wss.on('connection', (socket: WebSocket) => {
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
