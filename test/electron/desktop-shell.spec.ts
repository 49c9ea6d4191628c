import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { electron, launchApp, SKIP_REASON, type LaunchedApp } from './electron-app';
import { hasEnded } from '../../src-main/contract';

test.skip(!electron.path, SKIP_REASON);
// The list reporter shows skips without their reason; say it once.
if (!electron.path) console.log(`${SKIP_REASON} (${electron.reason})`);

let launched: LaunchedApp;
let scratch: string;

test.beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-electron-'));
  launched = await launchApp();
});

test.afterAll(async () => {
  await launched?.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('the window opens on the app origin with a hardened renderer', async () => {
  const { app, window } = launched;
  expect(await window.title()).toContain('ShuffleNet Studio');
  expect(window.url()).toMatch(/^app:\/\/studio\//);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  // No Node and no Electron internals in the page.
  expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
  await window.screenshot({ path: 'test-results/screenshots/electron-01-window.png' });
});

test('the preload bridge exposes exactly invoke, subscribe and pathForFile, and invoke works', async () => {
  const { window, dataDir } = launched;
  const keys = await window.evaluate(() => Object.keys((globalThis as unknown as { studio: object }).studio).sort());
  expect(keys).toEqual(['invoke', 'pathForFile', 'subscribe']);
  const info = await window.evaluate(() =>
    (globalThis as unknown as { studio: { invoke(m: string, i: unknown): Promise<{ mode: string; dataDir: string; capabilities: object }> } }).studio.invoke(
      'app.info',
      {},
    ),
  );
  expect(info.mode).toBe('electron');
  expect(info.dataDir).toBe(dataDir);
  expect(info.capabilities).toMatchObject({ nativeDialogs: true });
  const error = await window.evaluate(() =>
    (globalThis as unknown as { studio: { invoke(m: string, i: unknown): Promise<unknown> } }).studio.invoke('datasets.get', { id: 424242 }).then(
      () => null,
      (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
    ),
  );
  expect(error).toMatchObject({ code: 'not-found' });
});

test('navigation and new windows are denied', async () => {
  const { app, window } = launched;
  const before = window.url();
  await window.evaluate(() => {
    globalThis.location.href = 'https://example.com/';
  });
  await window.waitForTimeout(500);
  expect(window.url()).toBe(before);
  expect(await window.evaluate(() => globalThis.open('https://example.com/') === null)).toBe(true);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
});

test('a dropped file resolves to its real path, and its thumbnail loads through studio-media://', async () => {
  const { window } = launched;
  const folder = join(scratch, 'photos');
  mkdirSync(join(folder, 'red'), { recursive: true });
  mkdirSync(join(folder, 'blue'), { recursive: true });
  for (const [name, colour] of [
    ['red', { r: 220, g: 30, b: 30 }],
    ['blue', { r: 30, g: 30, b: 220 }],
  ] as const) {
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 32, height: 32, channels: 3, background: colour } })
        .png()
        .toFile(join(folder, name, `${i}.png`));
    }
  }
  writeFileSync(join(folder, 'notes.txt'), 'not an image');

  // setInputFiles hands the page real File objects backed by files on disk, as a drop does.
  await window.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'pick';
    input.style.display = 'none';
    document.body.append(input);
  });
  const file = join(folder, 'red', '0.png');
  await window.setInputFiles('#pick', file);
  const resolved = await window.evaluate(() => {
    const input = document.getElementById('pick') as HTMLInputElement;
    return (globalThis as unknown as { studio: { pathForFile(f: File): string } }).studio.pathForFile(input.files![0]!);
  });
  expect(resolved).toBe(file);

  const thumb = await window.evaluate(async (path) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's bridge is untyped inside evaluate(); the test reads fields of its replies
    const studio = (globalThis as unknown as { studio: { invoke(m: string, i: unknown): Promise<any> } }).studio;
    const dataset = await studio.invoke('datasets.addFolder', { path });
    const page = await studio.invoke('images.list', { datasetId: dataset.id, filter: {}, offset: 0, limit: 1 });
    const url: string = page.items[0].thumbUrl;
    const img = new Image();
    img.src = url;
    await img.decode();
    return { url, width: img.naturalWidth, imageCount: dataset.imageCount };
  }, folder);
  expect(thumb.url).toMatch(/^studio-media:\/\/thumb\/image\/\d+/);
  expect(thumb.width).toBeGreaterThan(0);
  expect(thumb.imageCount).toBe(6);
});

test('the main process never loads TensorFlow.js; the ML host runs in a utility process', async () => {
  const { app, window } = launched;
  const backend = await window.evaluate(() =>
    (globalThis as unknown as { studio: { invoke(m: string, i: unknown): Promise<{ name: string }> } }).studio.invoke('app.backend', {}),
  );
  expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(backend.name);
  // Module._cache holds every file the main process has required (the bundle and its externals).
  const loaded = await app.evaluate(() => {
    const Module = (process as unknown as { mainModule?: { constructor: { _cache: Record<string, unknown> } } }).mainModule?.constructor;
    return Object.keys(Module?._cache ?? {});
  });
  expect(loaded.some((path) => path.includes('better-sqlite3'))).toBe(true);
  expect(loaded.filter((path) => path.includes('@tensorflow'))).toEqual([]);
  const metrics = await app.evaluate(({ app: electronApp }) => electronApp.getAppMetrics().map((m) => m.type));
  expect(metrics).toContain('Utility');
});

test('training in the ML host runs on ONNX Runtime replicas (worker threads inside the utility process)', async () => {
  const { window } = launched;
  const folder = join(scratch, 'shapes');
  for (const [name, colour] of [
    ['light', { r: 230, g: 230, b: 230 }],
    ['dark', { r: 20, g: 20, b: 20 }],
  ] as const) {
    mkdirSync(join(folder, name), { recursive: true });
    for (let i = 0; i < 4; i++) {
      await sharp({ create: { width: 32, height: 32, channels: 3, background: colour } })
        .png()
        .toFile(join(folder, name, `${i}.png`));
    }
  }
  // Micro-batches of 4 in a batch of 8: two parts, so up to two replicas start.
  const config = { scale: 0.25, groups: 3, stem: 'cifar', inputSize: 16, epochs: 1, batchSize: 8, microBatchSize: 4, lr: 0.05, warmupEpochs: 0 };
  const run = await window.evaluate(
    async ({ path, config }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's bridge is untyped inside evaluate(); the test reads fields of its replies
      const studio = (globalThis as unknown as { studio: { invoke(m: string, i: unknown): Promise<any> } }).studio;
      const dataset = await studio.invoke('datasets.addFolder', { path });
      const started = await studio.invoke('training.start', { datasetId: dataset.id, config, name: 'replicas' });
      for (let i = 0; i < 600; i++) {
        const detail = await studio.invoke('runs.get', { id: started.id });
        if (hasEnded(detail.status)) return detail as { status: string; backend: string | null };
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error('the training run did not finish in 120 s');
    },
    { path: folder, config },
  );
  expect(run.status).toBe('completed');
  // ONNX Runtime loads in Electron's Node (N-API); a replica whose worker failed to start would
  // have sent training to tfjs. One replica on one core, or where the CUDA provider is installed.
  const expected = availableParallelism() > 1 ? /^onnxruntime-node \S+ \((cpu, 2 replicas|cuda)\)$/ : /^onnxruntime-node \S+ \((cpu|cuda)\)$/;
  expect(run.backend).toMatch(expected);
});
