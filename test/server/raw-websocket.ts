import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * Raw TCP for probing serve mode with what a careless or hostile client sends: requests exactly as
 * written (no client library normalises the target or the cookie) and WebSocket frames built by hand
 * (RFC 6455), so malformed ones reach the server as they are.
 */

export interface RawConnection {
  socket: net.Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once the server has closed the connection (or after `ms`, with false). */
  closed(ms: number): Promise<boolean>;
}

/** `allowHalfOpen`: keep our side open after the server ends its side (a client that never closes). */
export async function connectRaw(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawConnection> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen ?? false });
  let data = Buffer.alloc(0);
  let ended = false;
  const endWaiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => (data = Buffer.concat([data, chunk])));
  // The server may close while we still write (that is what it should do with a 20 MB frame).
  socket.on('error', () => {});
  socket.on('close', () => {
    ended = true;
    for (const wake of endWaiters) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => data,
    closed: (ms) =>
      ended
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), ms);
            endWaiters.push(() => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
  };
}

/** Sends one HTTP request as written and returns the status code of the reply (0: none before the server closed). */
export async function rawRequest(port: number, head: string, ms = 5_000): Promise<{ status: number; text: string }> {
  const connection = await connectRaw(port);
  connection.socket.write(head);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !connection.received().includes('\r\n\r\n')) {
    if (await connection.closed(20)) break;
  }
  connection.socket.destroy();
  const text = connection.received().toString('latin1');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
}

export function upgradeRequest(target: string, host: string, extraHeaders: string[] = []): string {
  return [
    `GET ${target} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...extraHeaders,
    '',
    '',
  ].join('\r\n');
}

/** A connection that completed the WebSocket handshake (101), ready for hand-made frames. */
export async function openRawSocket(port: number, target: string): Promise<RawConnection> {
  const connection = await connectRaw(port);
  connection.socket.write(upgradeRequest(target, `127.0.0.1:${port}`));
  const deadline = Date.now() + 5_000;
  while (!connection.received().includes('\r\n\r\n')) {
    if (Date.now() > deadline || (await connection.closed(20))) throw new Error(`no handshake reply: ${connection.received().toString('latin1')}`);
  }
  const status = connection.received().toString('latin1').split('\r\n')[0];
  if (!status.startsWith('HTTP/1.1 101')) throw new Error(`handshake refused: ${status}`);
  return connection;
}

export const OPCODE = { text: 0x1, binary: 0x2, close: 0x8 } as const;

/** A masked client frame; `rsv` sets RSV1-3 as bits 0x40/0x20/0x10 of the first byte; `length` may claim more than `payload` holds. */
export function clientFrame(opcode: number, payload: Buffer, options: { rsv?: number; length?: number } = {}): Buffer {
  const length = options.length ?? payload.length;
  const first = 0x80 | (options.rsv ?? 0) | opcode;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, 0x80 | length]);
  else if (length < 65536) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4];
  return Buffer.concat([header, mask, masked]);
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** The (unmasked) frames the server sent after the handshake. */
export function serverFrames(received: Buffer): ServerFrame[] {
  let offset = received.indexOf('\r\n\r\n') + 4;
  const frames: ServerFrame[] = [];
  while (offset + 2 <= received.length) {
    const opcode = received[offset] & 0x0f;
    let length = received[offset + 1] & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      length = received.readUInt16BE(offset + 2);
      start += 2;
    } else if (length === 127) {
      length = Number(received.readBigUInt64BE(offset + 2));
      start += 8;
    }
    if (start + length > received.length) break;
    frames.push({ opcode, payload: received.subarray(start, start + length) });
    offset = start + length;
  }
  return frames;
}

/** The status code of the server's close frame, or null if it sent none. */
export function closeCode(received: Buffer): number | null {
  const close = serverFrames(received).find((frame) => frame.opcode === OPCODE.close);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
}
