import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RpcClient } from '../../src-main/contract';
import { CIFAR10_URL, cifarSourceUrl } from '../../src-main/engine/data/download';
import { startServe, type ServeInstance } from '../e2e/serve-harness';
import { connectWs } from '../fixtures/ws-client';

/**
 * Issue 17 item 1e: `datasets.downloadCifar10` fetched any URL a client gave and reported the md5
 * of what came back (a server-side request forgery). Now the API takes no URL: the server fetches
 * the official address, or the mirror its operator set in SHUFFLENET_CIFAR_MIRROR.
 */

/** A local HTTP server that records every path asked of it and answers with a few junk bytes. */
async function recordingServer(): Promise<{ server: Server; base: string; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((request, response) => {
    asked.push(request.url ?? '');
    response.end('not the CIFAR-10 archive');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

let target: Awaited<ReturnType<typeof recordingServer>>;
let mirror: Awaited<ReturnType<typeof recordingServer>>;
let serve: ServeInstance;
let api: RpcClient;

beforeAll(async () => {
  target = await recordingServer();
  mirror = await recordingServer();
  serve = await startServe({ env: { SHUFFLENET_CIFAR_MIRROR: `${mirror.base}/mirror/cifar-10-binary.tar.gz` } });
  api = await connectWs(serve.wsUrl);
});

afterAll(async () => {
  api?.close();
  await serve?.stop();
  target?.server.close();
  mirror?.server.close();
});

describe('the CIFAR-10 download source', () => {
  it('refuses a request that names a URL, and fetches nothing', async () => {
    await expect(api.client.invoke('datasets.downloadCifar10', { url: `${target.base}/internal-admin` } as never)).rejects.toMatchObject({
      code: 'invalid-input',
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(target.asked).toEqual([]);
  });

  it('fetches the mirror the operator configured, and checks it against the official md5', async () => {
    const progress: { jobId: string; phase: string; message?: string }[] = [];
    api.client.subscribe('datasets.downloadProgress', (payload) => progress.push(payload));
    const { jobId } = await api.client.invoke('datasets.downloadCifar10', {});
    const deadline = Date.now() + 60_000;
    while (!progress.some((p) => p.jobId === jobId && p.phase === 'error') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(mirror.asked).toEqual(['/mirror/cifar-10-binary.tar.gz']);
    expect(progress.find((p) => p.jobId === jobId && p.phase === 'error')?.message).toMatch(/Checksum mismatch/);
    expect(target.asked).toEqual([]);
  });

  it('is the official address unless a valid http(s) mirror is set', () => {
    expect(cifarSourceUrl({})).toBe(CIFAR10_URL);
    expect(cifarSourceUrl({ SHUFFLENET_CIFAR_MIRROR: ' ' })).toBe(CIFAR10_URL);
    expect(cifarSourceUrl({ SHUFFLENET_CIFAR_MIRROR: 'https://mirror.example/cifar-10-binary.tar.gz' })).toBe('https://mirror.example/cifar-10-binary.tar.gz');
    expect(() => cifarSourceUrl({ SHUFFLENET_CIFAR_MIRROR: 'file:///etc/passwd' })).toThrow(/must be an http:\/\/ or https:\/\/ address/);
    expect(() => cifarSourceUrl({ SHUFFLENET_CIFAR_MIRROR: 'not a url' })).toThrow(/is not a URL/);
  });
});
