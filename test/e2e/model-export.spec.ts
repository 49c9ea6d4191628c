import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { list as listTar } from 'tar';
import { makeImageFolder } from '../fixtures/image-folder';
import { connectWs } from '../fixtures/ws-client';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { StudioPage } from './studio-page';
import { hasEnded } from '../../src-main/contract';

/**
 * Export from the Training view of the real serve mode: a tiny run is trained through the API
 * (the person's path to a trained run is person-path.spec.ts), then a person presses Export ONNX
 * and Export TensorFlow.js and downloads the files the view links to.
 */
test.describe.configure({ mode: 'serial' });

const INPUT_SIZE = 16;
const CLASSES = ['circle', 'stripes', 'plain'];

let serve: ServeInstance;
let scratch: string;
let studio: StudioPage;

/** onnxruntime-node is optional; null when it does not load here. */
function onnxRuntime(): {
  InferenceSession: { create(bytes: Uint8Array): Promise<OrtSession> };
  Tensor: new (t: 'float32', d: Float32Array, dims: number[]) => unknown;
} | null {
  try {
    return createRequire(import.meta.url)('onnxruntime-node');
  } catch {
    return null;
  }
}
interface OrtSession {
  inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { dims: readonly number[]; data: unknown }>>;
  release(): Promise<void>;
}

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-export-'));
  await makeImageFolder(join(scratch, 'shapes'), { classes: CLASSES, perClass: 6, size: INPUT_SIZE });
  serve = await startServe();
  const { client, close } = await connectWs(serve.wsUrl);
  try {
    const dataset = await client.invoke('datasets.addFolder', { path: join(scratch, 'shapes'), name: 'Shapes' });
    const finished = new Promise<string>((resolve) => {
      client.subscribe('training.status', ({ run }) => {
        if (hasEnded(run.status)) resolve(run.error ?? run.status);
      });
    });
    const config = { scale: 0.25, groups: 3, stem: 'cifar', inputSize: INPUT_SIZE, epochs: 1, batchSize: 8, warmupEpochs: 0, augment: false } as const;
    await client.invoke('training.start', { datasetId: dataset.id, config, name: 'Shapes tiny' });
    expect(await finished).toBe('completed');
  } finally {
    close();
  }
  studio = new StudioPage(await browser.newPage(), 'export');
  await studio.open(serve.url);
});

serveSpecHooks(() => ({ page: studio?.page, serve, scratch }));

test('1. Export ONNX in the Training view downloads a model ONNX Runtime can run', async () => {
  await studio.show('training');
  await expect(studio.testId('run-name')).toHaveText('Shapes tiny');
  await expect(studio.testId('export-onnx')).toBeEnabled();
  await studio.snap('before');

  await studio.testId('export-onnx').click();
  const result = studio.testId('export-result-onnx');
  await expect(result).toBeVisible({ timeout: 60_000 });
  await studio.expectNoErrorToast();
  await expect(result.getByTestId('export-check')).toContainText('Matches TensorFlow.js');
  const link = result.getByTestId('export-download');
  await expect(link).toHaveText('shapes-tiny.onnx');

  const downloading = studio.page.waitForEvent('download');
  await link.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('shapes-tiny.onnx');
  const bytes = new Uint8Array(readFileSync((await download.path())!));
  expect(bytes.byteLength).toBeGreaterThan(10_000);
  // A serialized ModelProto starts with field 1 (ir_version, varint): tag 0x08.
  expect(bytes[0]).toBe(0x08);

  const ort = onnxRuntime();
  test.skip(!ort, 'onnxruntime-node does not load here; the file was checked by its header only');
  const session = await ort!.InferenceSession.create(bytes);
  try {
    const input = new ort!.Tensor('float32', new Float32Array(2 * 3 * INPUT_SIZE * INPUT_SIZE).fill(0.5), [2, 3, INPUT_SIZE, INPUT_SIZE]);
    const outputs = await session.run({ [session.inputNames[0]!]: input });
    expect(Object.values(outputs)[0]!.dims).toEqual([2, CLASSES.length]);
  } finally {
    await session.release();
  }
});

test('2. Export TensorFlow.js offers model.json, its weights, and all of them as one archive', async () => {
  await studio.testId('export-tfjs').click();
  const result = studio.testId('export-result-tfjs');
  await expect(result).toBeVisible({ timeout: 60_000 });
  await studio.expectNoErrorToast();
  await expect(result.getByTestId('export-check')).toContainText("Loads with tf.loadGraphModel and matches the app's model on 8 random inputs");
  await result.scrollIntoViewIfNeeded();
  await studio.snap('tfjs-checked');
  const names = await result.getByTestId('export-download').allInnerTexts();
  expect(names[0]).toBe('model.json');
  expect(names).toEqual(expect.arrayContaining(['model.json', 'preprocessing.json']));

  const downloadingJson = studio.page.waitForEvent('download');
  await result.getByTestId('export-download').first().click();
  const modelJson = JSON.parse(readFileSync((await (await downloadingJson).path())!, 'utf8')) as { weightsManifest: { paths: string[] }[] };
  expect(modelJson.weightsManifest.length).toBeGreaterThan(0);

  const downloadingArchive = studio.page.waitForEvent('download');
  await result.getByTestId('export-archive').click();
  const archive = await downloadingArchive;
  expect(archive.suggestedFilename()).toBe('shapes-tiny-tfjs.tar.gz');
  const entries: string[] = [];
  await listTar({ file: (await archive.path())!, onReadEntry: (entry) => entries.push(entry.path) });
  expect(entries.sort()).toEqual(names.map((name) => `shapes-tiny-tfjs/${name}`).sort());
  await studio.snap('after');
});
