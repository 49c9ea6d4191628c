import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-main/contract';
import { MlHost } from '../../src-main/ml-host/client';
import { forkHostPort } from '../../src-main/ml-host/fork-port';
import { LastLine } from '../../src-main/ml-host/port';
import { removeDir, tempDir } from '../services/helpers';

let root: string;

beforeAll(() => {
  root = tempDir('ml-host');
});
afterAll(() => removeDir(root));

const quiet = (entry?: string) => () => forkHostPort({ entry, log: () => undefined, env: { ...process.env, SHUFFLENET_CACHE_DIR: join(root, 'cache') } });

describe('LastLine', () => {
  it('keeps the last non-empty line across chunks', () => {
    const last = new LastLine();
    last.push('first\nsec');
    last.push('ond\n\n');
    expect(last.value).toBe('second');
    last.push('partial');
    expect(last.value).toBe('partial');
  });
});

describe('MlHost', () => {
  it('re-throws engine errors with their code', async () => {
    const host = new MlHost(quiet());
    try {
      const error = await host.call('scanDataset', { dir: join(root, 'missing') }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ code: 'dataset-not-found', message: expect.stringContaining('missing') });
    } finally {
      host.dispose();
    }
  });

  it('cancels an operation through its AbortSignal', async () => {
    let server: Server | null = null;
    const host = new MlHost(quiet());
    try {
      // A server that sends a few bytes and then nothing: the download waits until cancelled.
      let requested: () => void = () => undefined;
      const reached = new Promise<void>((resolve) => (requested = resolve));
      server = createServer((_request, response) => {
        response.writeHead(200, { 'content-length': '1000000' });
        response.write(Buffer.alloc(10));
        requested();
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar.tar.gz`;
      const controller = new AbortController();
      let progressed: () => void = () => undefined;
      const firstEvent = new Promise<void>((resolve) => (progressed = resolve));
      const call = host.call('downloadCifar10', { destDir: join(root, 'dl'), url }, { signal: controller.signal, onEvent: () => progressed() });
      await reached;
      await firstEvent;
      controller.abort();
      await expect(call).rejects.toMatchObject({ code: 'aborted' });
    } finally {
      host.dispose();
      server?.closeAllConnections();
      server?.close();
    }
  });

  it('reports a dead host with its exit code and last stderr line, and starts a new one on the next call', async () => {
    const entry = join(root, 'dying-host.mjs');
    writeFileSync(entry, "process.on('message', () => { process.stderr.write('loading...\\nout of memory: cannot allocate\\n'); process.exit(3); });\n");
    const host = new MlHost(quiet(entry));
    const crashes: unknown[] = [];
    host.onCrash((exit) => crashes.push(exit));
    const first = await host.call('initBackend', {}).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'ml-host-crashed', message: 'The ML host process exited with code 3: out of memory: cannot allocate' });
    expect(crashes).toEqual([{ code: 3, signal: null, lastStderr: 'out of memory: cannot allocate' }]);
    expect(host.running).toBe(false);
    await expect(host.call('initBackend', {})).rejects.toMatchObject({ code: 'ml-host-crashed' });
    expect(crashes).toHaveLength(2);
    host.dispose();
    await expect(host.call('initBackend', {})).rejects.toMatchObject({ code: 'unavailable' });
  });
});
