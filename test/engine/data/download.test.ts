import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR_RECORD_BYTES } from '../../../src-main/engine/data/cifar10';
import { downloadCifar10 } from '../../../src-main/engine/data/download';
import { loadDataset } from '../../../src-main/engine/data/load-dataset';
import { AbortedError, UserError } from '../../../src-main/engine/errors';
import { tempDir } from './fixtures';

const RECORDS = 3;

/** A cifar-10-binary.tar.gz look-alike with 3 records per batch file. */
async function makeArchive(dir: string): Promise<Buffer> {
  const folder = join(dir, 'cifar-10-batches-bin');
  await mkdir(folder, { recursive: true });
  const names = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  for (const [f, name] of names.entries()) {
    // Noisy pixels, so the archive is large enough to arrive in several chunks.
    const seed = createHash('sha512').update(String(f)).digest();
    const records = Buffer.alloc(RECORDS * CIFAR_RECORD_BYTES);
    for (let i = 0; i < records.length; i++) records[i] = seed[i % 64] ^ (i * 131);
    for (let r = 0; r < RECORDS; r++) records[r * CIFAR_RECORD_BYTES] = (f + r) % 10;
    await writeFile(join(folder, name), records);
  }
  await writeFile(join(folder, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
  const file = join(dir, 'archive.tar.gz');
  await tar.c({ gzip: true, cwd: dir, file }, ['cifar-10-batches-bin']);
  return readFile(file);
}

describe('downloadCifar10 (local HTTP server)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: Server;
  let base: string;
  let archive: Buffer;
  let md5: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('download'));
    archive = await makeArchive(join(dir, 'source'));
    md5 = createHash('md5').update(archive).digest('hex');
    server = createServer((req, res) => {
      if (req.url === '/cifar-10-binary.tar.gz') {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': archive.length });
        // Two writes, so the client sees more than one chunk.
        res.write(archive.subarray(0, 1000));
        setTimeout(() => res.end(archive.subarray(1000)), 150);
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/cifar-10-binary.tar.gz' });
        res.end();
      } else if (req.url === '/slow') {
        res.writeHead(200, { 'content-length': archive.length });
        res.write(archive.subarray(0, 1000));
        req.on('close', () => res.destroy());
      } else {
        res.writeHead(404, 'Not Found');
        res.end('no such file');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await cleanup();
  });

  it('downloads with progress, checks the md5, extracts, and the result loads', async () => {
    const dest = join(dir, 'ok');
    const progress: [number, number | null][] = [];
    const path = await downloadCifar10(dest, { url: `${base}/cifar-10-binary.tar.gz`, md5, onProgress: (r, t) => progress.push([r, t]) });
    expect(path).toBe(join(dest, 'cifar-10-batches-bin'));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0][0]).toBeLessThan(archive.length);
    expect(progress.at(-1)).toEqual([archive.length, archive.length]);
    expect(progress.every(([, total]) => total === archive.length)).toBe(true);
    // Archive and .part are gone; only the extracted folder remains.
    expect(await readdir(dest)).toEqual(['cifar-10-batches-bin']);
    const data = await loadDataset(dest, { strictSizes: false });
    expect(data.splits.train.count).toBe(5 * RECORDS);
    expect(Array.from(data.splits.test.labels)).toEqual([5, 6, 7]);
  });

  it('follows redirects', async () => {
    const path = await downloadCifar10(join(dir, 'redirected'), { url: `${base}/moved`, md5 });
    expect(await readdir(path)).toContain('test_batch.bin');
  });

  it('rejects a checksum mismatch, says expected vs got, and removes the file', async () => {
    const dest = join(dir, 'bad-md5');
    const err = await downloadCifar10(dest, { url: `${base}/cifar-10-binary.tar.gz` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(`expected md5 c32a1d4ab5d03f1284b67883e8d87530, got ${md5}`);
    expect(await readdir(dest)).toEqual([]);
  });

  it('reports HTTP errors and unreachable servers as user errors', async () => {
    const notFound = await downloadCifar10(join(dir, 'missing'), { url: `${base}/nothing-here`, md5 }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(UserError);
    expect((notFound as Error).message).toBe(`Download failed: ${base}/nothing-here answered HTTP 404 Not Found`);
    await expect(downloadCifar10(join(dir, 'refused'), { url: 'http://127.0.0.1:1/x.tar.gz', md5 })).rejects.toThrow(/Download failed: cannot reach/);
  });

  it('stops on abort and leaves no partial file', async () => {
    const dest = join(dir, 'aborted');
    const controller = new AbortController();
    const err = await downloadCifar10(dest, {
      url: `${base}/slow`,
      md5,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(await readdir(dest)).toEqual([]);
  });
});
