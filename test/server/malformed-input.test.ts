import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RpcClient } from '../../src-main/contract';
import { startServe, type ServeInstance } from '../e2e/serve-harness';
import { connectWs } from '../fixtures/ws-client';
import { clientFrame, closeCode, connectRaw, OPCODE, openRawSocket, rawRequest, serverFrames, upgradeRequest } from './raw-websocket';

/**
 * Issue 17, items 1 and 4: one malformed frame, cookie or request target used to kill the real
 * `serve` process (an unhandled 'error' event or a synchronous throw in the upgrade handler), and a
 * malformed percent-escape gave a 500 with a logged stack trace. Every probe here goes over raw TCP
 * to a real server process; after each one the server must still answer HTTP, and a healthy
 * WebSocket opened before the probes must still be open and answer calls.
 */

let serve: ServeInstance;
let healthy: RpcClient;
let port: number;
let host: string;

beforeAll(async () => {
  serve = await startServe();
  port = Number(new URL(serve.url).port);
  host = `127.0.0.1:${port}`;
  healthy = await connectWs(serve.wsUrl);
});

afterAll(async () => {
  healthy?.close();
  await serve?.stop();
});

async function expectStillServing(): Promise<void> {
  const page = await fetch(serve.url).catch((error: Error) => {
    throw new Error(`serve stopped answering HTTP: ${error.message}\n${serve.output()}`);
  });
  expect([200, 503]).toContain(page.status);
  const info = await healthy.client.invoke('app.info', {});
  expect(info.mode).toBe('serve');
}

/** Sends raw frames on a fresh authorised socket and returns what came back once the server closed it. */
async function sendFrames(bytes: Buffer[]): Promise<{ closed: boolean; received: Buffer }> {
  const connection = await openRawSocket(port, `/ws?token=${serve.token}`);
  for (const chunk of bytes) connection.socket.write(chunk);
  const closed = await connection.closed(5_000);
  connection.socket.destroy();
  return { closed, received: connection.received() };
}

/** 4 KB of fixed noise (a hash chain), so a failure replays exactly. */
function noise(): Buffer {
  const blocks: Buffer[] = [];
  let block = createHash('sha256').update('issue-17 noise').digest();
  while (blocks.length < 128) blocks.push((block = createHash('sha256').update(block).digest()));
  return Buffer.concat(blocks);
}

describe('serve survives malformed WebSocket frames (issue 17 item 1)', () => {
  const probes: { name: string; bytes: () => Buffer[]; code: number }[] = [
    // The header alone announces 20 MB; the server must refuse before buffering it all.
    {
      name: 'a 20 MB text frame (over maxPayload)',
      bytes: () => [clientFrame(OPCODE.text, Buffer.alloc(1 << 20, 0x61), { length: 20 * 1024 * 1024 })],
      code: 1009,
    },
    { name: 'a 3-byte text frame of invalid UTF-8', bytes: () => [clientFrame(OPCODE.text, Buffer.from([0xe0, 0xa4, 0x41]))], code: 1007 },
    { name: 'a frame with RSV2 set', bytes: () => [clientFrame(OPCODE.text, Buffer.from('{}'), { rsv: 0x20 })], code: 1002 },
    { name: 'a frame with RSV3 set', bytes: () => [clientFrame(OPCODE.text, Buffer.from('{}'), { rsv: 0x10 })], code: 1002 },
    { name: '4 KB of noise instead of frames', bytes: () => [noise()], code: 1002 },
  ];

  for (const probe of probes) {
    it(`closes the socket that sent ${probe.name}, with a close code, and goes on`, async () => {
      const { closed, received } = await sendFrames(probe.bytes());
      expect(closed).toBe(true);
      expect(closeCode(received)).toBe(probe.code);
      await expectStillServing();
    });
  }

  it('answers a non-JSON text frame, a binary frame and a request without an id with an error, and keeps the socket open', async () => {
    const connection = await openRawSocket(port, `/ws?token=${serve.token}`);
    connection.socket.write(clientFrame(OPCODE.text, Buffer.from('hello, not json')));
    connection.socket.write(clientFrame(OPCODE.binary, Buffer.from([1, 2, 3])));
    connection.socket.write(clientFrame(OPCODE.text, Buffer.from(JSON.stringify({ method: 'app.info', input: {} }))));
    connection.socket.write(clientFrame(OPCODE.text, Buffer.from(JSON.stringify({ id: 7, method: 'app.info', input: {} }))));
    const replies = async () => {
      for (let i = 0; i < 250; i++) {
        const texts = serverFrames(connection.received())
          .filter((frame) => frame.opcode === OPCODE.text)
          .map((frame) => JSON.parse(frame.payload.toString('utf8')) as { id?: unknown; error?: { code: string; message: string } })
          .filter((message) => 'id' in message);
        if (texts.length >= 4) return texts;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`fewer than 4 replies: ${connection.received().toString('latin1')}`);
    };
    const [notJson, binary, noId, call] = await replies();
    expect(notJson).toMatchObject({ id: null, error: { code: 'invalid-input' } });
    expect(notJson.error?.message).toMatch(/JSON/);
    expect(binary).toMatchObject({ id: null, error: { code: 'invalid-input' } });
    expect(binary.error?.message).toMatch(/binary/i);
    expect(noId).toMatchObject({ id: null, error: { code: 'invalid-input' } });
    expect(noId.error?.message).toMatch(/needs an id/);
    expect(call).toMatchObject({ id: 7, result: { mode: 'serve' } });
    expect(await connection.closed(50)).toBe(false);
    connection.socket.destroy();
    await expectStillServing();
  });
});

describe('serve survives malformed cookies, targets and percent-escapes (issue 17 items 1 and 4)', () => {
  const badCookie = () => `Cookie: studio_token_${port}=%E0%A4%A`;
  const goodCookie = () => `Cookie: studio_token_${port}=${serve.token}`;

  it('refuses an upgrade with a malformed token cookie with 401, and accepts the query token beside it', async () => {
    expect((await rawRequest(port, upgradeRequest('/ws', host, [badCookie()]))).status).toBe(401);
    await expectStillServing();
    expect((await rawRequest(port, upgradeRequest(`/ws?token=${serve.token}`, host, [badCookie()]))).status).toBe(101);
    await expectStillServing();
  });

  it('takes the real token cookie even when a planted malformed one comes first', async () => {
    expect((await rawRequest(port, upgradeRequest('/ws', host, [`${badCookie()}; studio_token_${port}=${serve.token}`]))).status).toBe(101);
    await expectStillServing();
  });

  it('goes on when clients reset the connection right after a refused upgrade', async () => {
    const resets = Array.from({ length: 40 }, async () => {
      const connection = await connectRaw(port);
      connection.socket.write(upgradeRequest('/ws', host));
      connection.socket.resetAndDestroy();
    });
    await Promise.all(resets);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectStillServing();
  });

  it('refuses an upgrade to the target http://[ with 400, with and without the token', async () => {
    expect((await rawRequest(port, upgradeRequest('http://[', host))).status).toBe(400);
    await expectStillServing();
    expect((await rawRequest(port, upgradeRequest('http://[', host, [goodCookie()]))).status).toBe(400);
    await expectStillServing();
  });

  const get = (target: string, headers: string[] = []) => [`GET ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...headers, '', ''].join('\r\n');

  it('answers HTTP requests with a malformed cookie with 401, or the page when the query has the token', async () => {
    expect((await rawRequest(port, get('/', [badCookie()]))).status).toBe(401);
    expect([200, 503]).toContain((await rawRequest(port, get(`/?token=${serve.token}`, [badCookie()]))).status);
    await expectStillServing();
  });

  it('answers the request target http://[ with 400, with and without the token', async () => {
    expect((await rawRequest(port, get('http://['))).status).toBe(400);
    expect((await rawRequest(port, get('http://[', [goodCookie()]))).status).toBe(400);
    await expectStillServing();
  });

  it('answers a malformed percent-escape in a path with 400 (401 without the token), and logs no stack trace', async () => {
    for (const path of ['/%E0%A4%A', '/assets/%E0%A4%A.js', '/%']) {
      expect((await rawRequest(port, get(path))).status).toBe(401);
      const reply = await rawRequest(port, get(path, [goodCookie()]));
      expect(reply.status, path).toBe(400);
      expect(reply.text).toMatch(/percent/i);
    }
    await expectStillServing();
    expect(serve.output()).not.toMatch(/URIError|\n\s+at /);
  });

  it('still serves after every probe above, on a connection opened before them', async () => {
    const late = await connectRaw(port);
    late.socket.destroy();
    await expectStillServing();
  });
});
