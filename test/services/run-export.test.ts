import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, ModelExport, Payload, Run } from '../../src-main/contract';
import { onnxRuntimeStatus } from '../../src-main/engine/onnx/onnx-runtime';
import { exportBaseName, httpExportUrls } from '../../src-main/services/run-export';
import { readFields } from '../engine/export/protobuf-reader';
import { makeImageFolder, removeDir, startHarness, TINY, tempDir, type Harness } from './helpers';
import { hasEnded } from '../../src-main/contract';

let root: string;
let harness: Harness;
let dataset: Dataset;
let run: Run;

const finished = (p: Payload<'training.status'>) => hasEnded(p.run.status);

beforeAll(async () => {
  root = tempDir('run-export');
  await makeImageFolder(join(root, 'pets'), 6);
  harness = startHarness(join(root, 'data'));
  dataset = await harness.client.invoke('datasets.addFolder', { path: join(root, 'pets') });
  const done = harness.next('training.status', finished, 240_000);
  await harness.client.invoke('training.start', { datasetId: dataset.id, config: TINY, name: 'Pets: first try!' });
  run = (await done).run;
  expect(run.status, run.error ?? '').toBe('completed');
}, 300_000);

afterAll(() => {
  harness?.close();
  removeDir(root);
});

describe('runs.export through the ML host', () => {
  let onnx: ModelExport;

  it('writes the ONNX model of the newest checkpoint into the run folder and checks it against tfjs', async () => {
    onnx = await harness.client.invoke('runs.export', { runId: run.id, format: 'onnx' });
    const runDir = harness.services.storage.runs.get(run.id)!.runDir;
    expect(onnx).toMatchObject({ runId: run.id, format: 'onnx', dir: join(runDir, 'exports', 'onnx'), archiveUrl: null });
    expect(onnx.checkpoint).toEqual({ dir: run.checkpointDir, epoch: 1 });
    expect(onnx.files).toHaveLength(1);
    const [file] = onnx.files;
    expect(file.name).toBe('pets-first-try.onnx');
    expect(file.path).toBe(join(onnx.dir, file.name));
    expect(file.bytes).toBe(statSync(file.path).size);
    // The harness has no download addresses (like the desktop app): files on disk only.
    expect(file.downloadUrl).toBeNull();

    // A ModelProto: ir_version (field 1), producer_name (2), graph (7), opset_import (8).
    const fields = readFields(new Uint8Array(readFileSync(file.path)));
    expect(fields.map((f) => f.field)).toEqual(expect.arrayContaining([1, 2, 7, 8]));
    const producer = fields.find((f) => f.field === 2);
    expect(producer && 'bytes' in producer ? Buffer.from(producer.bytes).toString() : '').toBe('ShuffleNet Studio');

    if (onnxRuntimeStatus().available) {
      expect(onnx.check).toMatchObject({ count: 8, top1Agreement: 1 });
      expect(onnx.check && 'relativeError' in onnx.check ? onnx.check.relativeError : 1).toBeLessThan(1e-4);
    } else {
      expect(onnx.check).toEqual({ skipped: expect.stringContaining('ONNX Runtime is not available') });
    }
  });

  it('replaces the previous export of the same format, leaving no stale file behind', async () => {
    const stale = join(onnx.dir, 'old-model.onnx');
    writeFileSync(stale, 'stale');
    const again = await harness.client.invoke('runs.export', { runId: run.id, format: 'onnx' });
    expect(again.files.map((f) => f.name)).toEqual(['pets-first-try.onnx']);
    expect(existsSync(stale)).toBe(false);
  });

  it('writes the TensorFlow.js folder: model.json, its weights and the preprocessing, checked with tf.loadGraphModel', async () => {
    const tfjs = await harness.client.invoke('runs.export', { runId: run.id, format: 'tfjs' });
    expect(tfjs).toMatchObject({ format: 'tfjs', archiveUrl: null });
    // The folder is loaded back as a web page would and compared with the app's model (no ONNX Runtime needed).
    expect(tfjs.check).toMatchObject({ count: 8, top1Agreement: 1 });
    expect(tfjs.check && 'relativeError' in tfjs.check ? tfjs.check.relativeError : 1).toBeLessThan(1e-4);
    const names = tfjs.files.map((f) => f.name).sort();
    expect(names).toEqual(expect.arrayContaining(['model.json', 'preprocessing.json']));
    const modelJson = JSON.parse(readFileSync(join(tfjs.dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    const weights = modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => posix.normalize(p));
    expect(names).toEqual([...weights, 'example.html', 'model.json', 'preprocessing.json'].sort());
    for (const file of tfjs.files) expect(file.bytes).toBe(statSync(file.path).size);
    const prep = JSON.parse(readFileSync(join(tfjs.dir, 'preprocessing.json'), 'utf8'));
    expect(prep).toMatchObject({ classes: ['cat', 'dog'], inputSize: 16 });
  });

  it('writes into a chosen folder: the .onnx file, and the tfjs model in its own sub-folder', async () => {
    const dest = join(root, 'chosen');
    const onnxOut = await harness.client.invoke('runs.export', { runId: run.id, format: 'onnx', destDir: dest });
    expect(onnxOut.dir).toBe(dest);
    expect(onnxOut.files[0].path).toBe(join(dest, 'pets-first-try.onnx'));
    const tfjsOut = await harness.client.invoke('runs.export', { runId: run.id, format: 'tfjs', destDir: dest });
    expect(tfjsOut.dir).toBe(join(dest, 'pets-first-try-tfjs'));
    expect(existsSync(join(tfjsOut.dir, 'model.json'))).toBe(true);
    expect(tfjsOut.files.every((f) => f.downloadUrl === null)).toBe(true);
  });

  it('finds downloads by run id and plain file name only', async () => {
    const exports = harness.services.exports;
    const found = await exports.download(run.id, 'onnx', 'pets-first-try.onnx');
    expect(found).toMatchObject({ name: 'pets-first-try.onnx', bytes: onnx.files[0].bytes });
    for (const [format, name] of [
      ['onnx', 'missing.onnx'],
      ['onnx', '../tfjs/model.json'],
      ['onnx', '..'],
      ['onnx', '.hidden'],
      ['tfjs/..', 'model.json'],
      ['pytorch', 'model.json'],
    ]) {
      expect(await exports.download(run.id, format, name), `${format}/${name}`).toBeNull();
    }
    expect(await exports.download(run.id + 100, 'onnx', 'pets-first-try.onnx')).toBeNull();
    const archive = await exports.archive(run.id, 'tfjs');
    expect(archive).toMatchObject({ baseName: 'pets-first-try-tfjs', names: expect.arrayContaining(['model.json', 'preprocessing.json']) });
    expect(await exports.archive(run.id, 'nope')).toBeNull();
  });

  it('refuses a run without a checkpoint and an unknown run, with clear messages', async () => {
    const bare = harness.services.storage.runs.create({ datasetId: dataset.id, name: 'never trained', config: {}, epochs: 1, runDir: join(root, 'bare') });
    await expect(harness.client.invoke('runs.export', { runId: bare.id, format: 'onnx' })).rejects.toMatchObject({
      code: 'user-error',
      message: `Run ${bare.id} has no checkpoint yet; train at least one epoch first`,
    });
    await expect(harness.client.invoke('runs.export', { runId: 9999, format: 'tfjs' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(harness.client.invoke('runs.export', { runId: run.id, format: 'pt' as 'onnx' })).rejects.toMatchObject({ code: 'invalid-input' });
  });
});

describe('export names and addresses', () => {
  it('names files after the run', () => {
    expect(exportBaseName({ id: 3, name: 'CIFAR baseline #2' })).toBe('cifar-baseline-2');
    expect(exportBaseName({ id: 3, name: 'Café' })).toBe('cafe');
    expect(exportBaseName({ id: 3, name: '###' })).toBe('run-3');
  });

  it('builds download addresses with the access token', () => {
    const urls = httpExportUrls('t0k');
    expect(urls.file(3, 'onnx', 'a b.onnx')).toBe('/api/exports/3/onnx/a%20b.onnx?token=t0k');
    expect(urls.archive(3, 'tfjs')).toBe('/api/exports/3/tfjs.tar.gz?token=t0k');
    expect(httpExportUrls().file(1, 'tfjs', 'model.json')).toBe('/api/exports/1/tfjs/model.json');
  });
});
