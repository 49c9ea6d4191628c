import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { list as listTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ModelExport } from '../../src-main/contract';
import { parseExportPath } from '../../src-main/server/export-download';
import { startServer, type RunningServer } from '../../src-main/server/main';
import { connectWs } from '../fixtures/ws-client';
import { makeImageFolder, removeDir, tempDir } from '../services/helpers';
import { hasEnded } from '../../src-main/contract';

let root: string;
let server: RunningServer;
let base: string;
let client: ApiClient;
let closeClient: () => void;
let onnx: ModelExport;
let tfjs: ModelExport;

/** A tiny run trained through the real server, then exported in both formats to its default folder. */
beforeAll(async () => {
  root = tempDir('export-download');
  await makeImageFolder(join(root, 'pets'), 6);
  server = await startServer({ port: 0, dataDir: join(root, 'data'), rendererDir: join(root, 'renderer') });
  base = `http://127.0.0.1:${server.port}`;
  ({ client, close: closeClient } = await connectWs(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`));
  const dataset = await client.invoke('datasets.addFolder', { path: join(root, 'pets') });
  const done = new Promise<void>((resolve) => {
    const off = client.subscribe('training.status', ({ run }) => {
      if (hasEnded(run.status)) {
        off();
        resolve();
      }
    });
  });
  const config = {
    scale: 0.25,
    groups: 3,
    stem: 'cifar',
    inputSize: 16,
    epochs: 1,
    batchSize: 8,
    warmupEpochs: 0,
    augment: false,
    validationFraction: 0.25,
  } as const;
  const run = await client.invoke('training.start', { datasetId: dataset.id, config, name: 'tiny pets' });
  await done;
  onnx = await client.invoke('runs.export', { runId: run.id, format: 'onnx' });
  tfjs = await client.invoke('runs.export', { runId: run.id, format: 'tfjs' });
}, 300_000);

afterAll(async () => {
  closeClient?.();
  await server?.close();
  removeDir(root);
});

describe('GET /api/exports', () => {
  it('hands out token-carrying download addresses for the default export folder', () => {
    const [file] = onnx.files;
    expect(file.downloadUrl).toBe(`/api/exports/${onnx.runId}/onnx/tiny-pets.onnx?token=${server.token}`);
    expect(onnx.archiveUrl).toBeNull();
    expect(tfjs.archiveUrl).toBe(`/api/exports/${tfjs.runId}/tfjs.tar.gz?token=${server.token}`);
    expect(tfjs.files.every((f) => f.downloadUrl?.startsWith(`/api/exports/${tfjs.runId}/tfjs/`))).toBe(true);
  });

  it('downloads the ONNX file as an attachment with its exact bytes', async () => {
    const response = await fetch(base + onnx.files[0].downloadUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="tiny-pets.onnx"; filename*=UTF-8''tiny-pets.onnx`);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.byteLength).toBe(onnx.files[0].bytes);
    // ModelProto field 1 (ir_version) as a varint: tag byte 0x08.
    expect(body[0]).toBe(0x08);
  });

  it('downloads each TensorFlow.js file, and all of them as one .tar.gz', async () => {
    const modelJson = tfjs.files.find((f) => f.name === 'model.json')!;
    const json = await fetch(base + modelJson.downloadUrl);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(((await json.json()) as { modelTopology?: unknown }).modelTopology).toBeDefined();

    const archive = await fetch(base + tfjs.archiveUrl);
    expect(archive.status).toBe(200);
    expect(archive.headers.get('content-disposition')).toContain('filename="tiny-pets-tfjs.tar.gz"');
    const file = join(root, 'download.tar.gz');
    writeFileSync(file, new Uint8Array(await archive.arrayBuffer()));
    const entries: { path: string; size: number }[] = [];
    await listTar({ file, onReadEntry: (entry) => entries.push({ path: entry.path, size: entry.size ?? 0 }) });
    expect(entries.map((e) => e.path).sort()).toEqual(tfjs.files.map((f) => `tiny-pets-tfjs/${f.name}`).sort());
    for (const f of tfjs.files) expect(entries.find((e) => e.path === `tiny-pets-tfjs/${f.name}`)?.size).toBe(f.bytes);
  });

  it('requires the access token', async () => {
    const withoutToken = onnx.files[0].downloadUrl!.replace(/\?token=.*$/, '');
    expect((await fetch(base + withoutToken)).status).toBe(401);
    expect((await fetch(`${base + withoutToken}?token=wrong`)).status).toBe(401);
    expect((await fetch(base + tfjs.archiveUrl!.replace(/\?token=.*$/, ''))).status).toBe(401);
  });

  it('answers 404 for unknown runs, formats and files, and for paths that try to leave the folder', async () => {
    const q = `?token=${server.token}`;
    for (const path of [
      `/api/exports/${onnx.runId}/onnx/other.onnx`,
      `/api/exports/${onnx.runId + 50}/onnx/tiny-pets.onnx`,
      `/api/exports/${onnx.runId}/pytorch/tiny-pets.onnx`,
      `/api/exports/${onnx.runId}/onnx/..%2Ftfjs%2Fmodel.json`,
      `/api/exports/${onnx.runId}/onnx/..%2F..%2F..%2Fstudio.db`,
      `/api/exports/${onnx.runId}/onnx.tar.gz/x`,
      `/api/exports/${onnx.runId + 50}/tfjs.tar.gz`,
      `/api/exports/0/onnx/tiny-pets.onnx`,
      `/api/exports/${onnx.runId}`,
    ]) {
      const response = await fetch(base + path + q);
      expect(response.status, path).toBe(404);
    }
  });

  it('parses only run id, format and one file name', () => {
    expect(parseExportPath('/api/exports/3/onnx/a%20b.onnx')).toEqual({ runId: 3, format: 'onnx', name: 'a b.onnx' });
    expect(parseExportPath('/api/exports/3/tfjs.tar.gz')).toEqual({ runId: 3, format: 'tfjs', archive: true });
    expect(parseExportPath('/api/exports/3/onnx/a/b')).toBeNull();
    expect(parseExportPath('/api/exports/x/onnx/a')).toBeNull();
    expect(parseExportPath('/api/exports/3/onnx/%E0%A4%A')).toBeNull();
  });
});
