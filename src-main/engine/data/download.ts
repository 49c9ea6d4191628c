import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import * as tar from 'tar';
import { AbortedError, UserError } from '../errors';
import { CIFAR_FILE_BYTES, CIFAR_FOLDER_NAME, CIFAR_TEST_FILE, CIFAR_TRAIN_FILES } from './cifar10';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
const ARCHIVE_NAME = 'cifar-10-binary.tar.gz';
/** Where whoever runs the app may name a mirror of the same archive (the md5 is still the official one). */
export const CIFAR_MIRROR_ENV = 'SHUFFLENET_CIFAR_MIRROR';
const PROGRESS_INTERVAL_MS = 100;

/**
 * The address the archive is fetched from: the mirror in SHUFFLENET_CIFAR_MIRROR when set, else the
 * official one. Never a URL from a client: the app's API takes none, so a page or script holding the
 * token cannot make the server fetch an address of its choosing.
 */
export function cifarSourceUrl(env: NodeJS.ProcessEnv = process.env): string {
  const mirror = env[CIFAR_MIRROR_ENV]?.trim();
  if (!mirror) return CIFAR10_URL;
  let parsed: URL;
  try {
    parsed = new URL(mirror);
  } catch {
    throw new UserError(`${CIFAR_MIRROR_ENV} is not a URL: ${JSON.stringify(mirror)}`, 'invalid-mirror');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UserError(`${CIFAR_MIRROR_ENV} must be an http:// or https:// address, got ${JSON.stringify(mirror)}`, 'invalid-mirror');
  }
  return parsed.href;
}

export interface DownloadOptions {
  /** The archive's address; `cifarSourceUrl()` (official, or the configured mirror) by default. */
  url?: string;
  /** Expected md5 of the archive (hex); the official one by default. */
  md5?: string;
  /** Bytes received so far and the total from Content-Length (null when the server does not say). */
  onProgress?: (received: number, total: number | null) => void;
  signal?: AbortSignal;
}

async function alreadyComplete(folder: string): Promise<boolean> {
  for (const name of [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE]) {
    const size = await stat(join(folder, name)).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== CIFAR_FILE_BYTES) return false;
  }
  return true;
}

const isAbort = (err: unknown, signal?: AbortSignal) => signal?.aborted === true || (err as Error)?.name === 'AbortError';

/** Streams `url` into `file`, hashing as it goes; returns the md5 hex digest. */
async function fetchToFile(url: string, file: string, options: DownloadOptions): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal, redirect: 'follow' });
  } catch (err) {
    if (isAbort(err, options.signal)) throw new AbortedError('Download stopped');
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new UserError(`Download failed: cannot reach ${url} (${cause})`, 'download-failed');
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new UserError(`Download failed: ${url} answered HTTP ${response.status} ${response.statusText}`.trim(), 'download-failed');
  }
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  const hash = createHash('md5');
  let received = 0;
  let lastReport = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      const now = Date.now();
      if (now - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = now;
        options.onProgress?.(received, total);
      }
      callback(null, chunk);
    },
  });
  const output = createWriteStream(file);
  try {
    await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), meter, output, { signal: options.signal });
  } catch (err) {
    // A stream destroyed while its file is still opening creates the file later; wait for that.
    if (!output.closed) await new Promise<void>((done) => output.once('close', () => done()));
    if (isAbort(err, options.signal)) throw new AbortedError('Download stopped');
    throw new UserError(`Download failed: connection to ${url} broke after ${received} bytes (${(err as Error).message})`, 'download-failed');
  }
  options.onProgress?.(received, total);
  return hash.digest('hex');
}

/**
 * Downloads the CIFAR-10 binary archive into `destDir` (as `<name>.part` until complete),
 * checks its md5, extracts it with `tar` and deletes the archive. Does nothing when `destDir`
 * already holds a complete `cifar-10-batches-bin`.
 * @returns the path of the extracted `cifar-10-batches-bin` folder.
 * @throws UserError on a network or HTTP failure, an md5 mismatch (the file is removed), or an
 *   archive without `cifar-10-batches-bin`; AbortedError when the signal stops it.
 */
export async function downloadCifar10(destDir: string, options: DownloadOptions = {}): Promise<string> {
  const dest = resolve(destDir);
  const folder = join(dest, CIFAR_FOLDER_NAME);
  if (await alreadyComplete(folder)) return folder;
  await mkdir(dest, { recursive: true });
  const url = options.url ?? cifarSourceUrl();
  const expected = (options.md5 ?? CIFAR10_MD5).toLowerCase();
  const part = join(dest, `${ARCHIVE_NAME}.part`);
  try {
    const got = await fetchToFile(url, part, options);
    if (got !== expected) {
      throw new UserError(`Checksum mismatch for ${url}: expected md5 ${expected}, got ${got}; the downloaded file was removed`, 'checksum-mismatch');
    }
    try {
      await tar.x({ file: part, cwd: dest, strict: true });
    } catch (err) {
      throw new UserError(`Cannot extract ${url}: ${(err as Error).message}`, 'extract-failed');
    }
  } finally {
    await rm(part, { force: true });
  }
  const extracted = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!extracted) throw new UserError(`The archive from ${url} has no ${CIFAR_FOLDER_NAME} folder`, 'extract-failed');
  return folder;
}
