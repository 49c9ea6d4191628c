import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodedOrNull } from './request-target';

export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A dropped file's path inside its folder, made safe: relative, no `..`, no drive letters, no
 * control characters. Returns the path segments.
 */
export function safeRelativePath(raw: string): string[] {
  const segments = raw.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) throw new UploadError(400, 'X-Relative-Path is empty');
  if (segments.length > 32) throw new UploadError(400, 'X-Relative-Path is nested too deeply');
  for (const segment of segments) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
    if (segment === '..' || /[\u0000-\u001f<>:"|?*]/.test(segment) || segment.length > 255) {
      throw new UploadError(400, `X-Relative-Path has a forbidden part: ${JSON.stringify(segment)}`);
    }
  }
  return segments;
}

/**
 * `POST /api/upload?batch=<id>` with the raw file as the body and its path in `X-Relative-Path`
 * (URI-encoded): stores it as `<uploads>/<batch>/<path>`. All files of one dropped folder share a
 * batch id; the answer is the folder to hand to `predict.start` or `datasets.addFolder`.
 */
export async function receiveUpload(request: IncomingMessage, url: URL, uploadsDir: string): Promise<{ folder: string; path: string }> {
  const batch = url.searchParams.get('batch') ?? '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(batch)) throw new UploadError(400, 'batch must be 1-64 letters, digits, "-" or "_"');
  const header = request.headers['x-relative-path'];
  if (typeof header !== 'string') throw new UploadError(400, 'X-Relative-Path header is missing');
  const decoded = decodedOrNull(header);
  if (decoded === null) throw new UploadError(400, 'X-Relative-Path is not valid URI encoding');
  const folder = join(uploadsDir, batch);
  const target = join(folder, ...safeRelativePath(decoded));
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_UPLOAD_BYTES) throw new UploadError(413, `File too large (limit ${MAX_UPLOAD_BYTES / 1024 / 1024} MB)`);
  await mkdir(dirname(target), { recursive: true });
  let received = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > MAX_UPLOAD_BYTES) callback(new UploadError(413, `File too large (limit ${MAX_UPLOAD_BYTES / 1024 / 1024} MB)`));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(request, limit, createWriteStream(target));
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  }
  return { folder, path: target };
}
