import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { create as createTar } from 'tar';
import { ApiError } from '../contract';
import { parseLabeledArchivePath } from '../contract/download-paths';
import { exportLabeled, labeledArchiveName } from '../services/export-labeled';
import type { Storage } from '../storage';
import { attachment } from './export-download';

function refuse(response: ServerResponse, headers: Record<string, string>, status: number, message: string): void {
  response.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`${message}\n`);
}

/**
 * `GET /api/labeled/<datasetId>.tar.gz`: the browser's "Export labeled dataset". A person in a
 * browser cannot name a folder on the server, so the export is written to a scratch folder of the
 * data folder, sent as one archive (one folder per class) and removed.
 */
export async function serveLabeledExport(
  storage: Storage,
  scratchRoot: string,
  pathname: string,
  method: string,
  response: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  const datasetId = parseLabeledArchivePath(pathname);
  const dataset = datasetId === null ? undefined : storage.datasets.get(datasetId);
  if (!dataset) return refuse(response, headers, 404, `No dataset ${datasetId ?? pathname}`);
  const baseName = labeledArchiveName(dataset);
  const common = { ...headers, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (method === 'HEAD') {
    response.writeHead(200, { ...common, 'content-type': 'application/gzip', 'content-disposition': attachment(`${baseName}.tar.gz`) });
    return void response.end();
  }
  const scratch = join(scratchRoot, randomUUID());
  try {
    await mkdir(scratchRoot, { recursive: true });
    try {
      await exportLabeled(storage, dataset, scratch);
    } catch (error) {
      if (error instanceof ApiError) return refuse(response, headers, 409, error.message);
      throw error;
    }
    response.writeHead(200, { ...common, 'content-type': 'application/gzip', 'content-disposition': attachment(`${baseName}.tar.gz`) });
    await pipeline(createTar({ gzip: true, portable: true, cwd: scratch, prefix: baseName }, await readdir(scratch)), response);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
