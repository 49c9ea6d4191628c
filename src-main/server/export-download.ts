import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { create as createTar } from 'tar';
import type { RunExportService } from '../services';
import { decodedOrNull } from './request-target';

export const EXPORTS_PREFIX = '/api/exports/';

const TYPES: Record<string, string> = {
  '.onnx': 'application/octet-stream',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
};

/** `attachment` with an ASCII fallback name and the exact one (RFC 6266 / 5987). */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

type ExportRequest = { runId: number; format: string; name: string } | { runId: number; format: string; archive: true };

/** `<runId>/<format>/<name>` or `<runId>/<format>.tar.gz` after the prefix; null for anything else. */
export function parseExportPath(pathname: string): ExportRequest | null {
  if (!pathname.startsWith(EXPORTS_PREFIX)) return null;
  const parts = pathname.slice(EXPORTS_PREFIX.length).split('/');
  const [rawId, second, third] = parts;
  if (!rawId || !/^[1-9]\d{0,15}$/.test(rawId)) return null;
  const runId = Number(rawId);
  if (parts.length === 2 && second?.endsWith('.tar.gz')) return { runId, format: second.slice(0, -'.tar.gz'.length), archive: true };
  if (parts.length !== 3 || !second || !third) return null;
  const name = decodedOrNull(third);
  return name === null ? null : { runId, format: second, name };
}

function notFound(response: ServerResponse, headers: Record<string, string>, message: string): void {
  response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`${message}\n`);
}

/**
 * `GET /api/exports/...`: a file of a run's latest export, or all of them as one `.tar.gz`, as an
 * attachment. The service finds the files from the run id and a plain file name, so the request
 * never names a path on disk; anything else is a 404.
 */
export async function serveExport(
  exports: RunExportService,
  pathname: string,
  method: string,
  response: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  const wanted = parseExportPath(pathname);
  if (!wanted) return notFound(response, headers, 'No such export');
  const common = { ...headers, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if ('archive' in wanted) {
    const archive = await exports.archive(wanted.runId, wanted.format);
    if (!archive) return notFound(response, headers, `Run ${wanted.runId} has no ${wanted.format} export; export it first`);
    response.writeHead(200, { ...common, 'content-type': 'application/gzip', 'content-disposition': attachment(`${archive.baseName}.tar.gz`) });
    if (method === 'HEAD') return void response.end();
    await pipeline(createTar({ gzip: true, portable: true, cwd: archive.dir, prefix: archive.baseName }, archive.names), response);
    return;
  }
  const file = await exports.download(wanted.runId, wanted.format, wanted.name);
  if (!file) return notFound(response, headers, `Run ${wanted.runId} has no exported file ${wanted.name} (${wanted.format})`);
  const extension = file.name.slice(file.name.lastIndexOf('.'));
  response.writeHead(200, {
    ...common,
    'content-type': TYPES[extension] ?? 'application/octet-stream',
    'content-length': String(file.bytes),
    'content-disposition': attachment(file.name),
  });
  if (method === 'HEAD') return void response.end();
  await pipeline(createReadStream(file.path), response);
}
