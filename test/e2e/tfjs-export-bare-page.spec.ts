import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { TFJS_CDN_URL } from '../../src-main/engine/export/tfjs-example';
import { makeImageFolder, syntheticImage } from '../fixtures/image-folder';
import { connectWs } from '../fixtures/ws-client';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { hasEnded } from '../../src-main/contract';

/**
 * The TensorFlow.js export outside the app (issue 17 item 7): a run trained in the real serve
 * mode is exported the way the Export TensorFlow.js button does it (runs.export), and the
 * export's own example.html is opened from a plain static server in Chromium. That page loads
 * nothing but tfjs's tf.min.js (the CDN address answered with node_modules' copy, since this
 * machine has no internet) and the export's files. Its classes for images it never saw in
 * training are compared with what the app's CLI `predict` says for the same files.
 */
test.describe.configure({ mode: 'serial' });

const SIZE = 16;
const CLASSES = ['circle', 'stripes', 'plain'];
const repoRoot = join(import.meta.dirname, '..', '..');

let serve: ServeInstance;
let scratch: string;
let site: Server;
let siteUrl: string;
let page: Page;
let runDir: string;
let exportDir: string;
/** Images per file name, served from the site's images/ folder and given to the CLI. */
const probes: string[] = [];

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.json': 'application/json', '.bin': 'application/octet-stream', '.png': 'image/png' };

/** A static file server for `dir`, as a person would serve the export folder (http-server, python -m http.server). */
function serveFolder(dir: string, requested: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    requested.push(path);
    try {
      const body = readFileSync(join(dir, path));
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const requested: string[] = [];

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-tfjs-bare-'));
  await makeImageFolder(join(scratch, 'shapes'), { classes: CLASSES, perClass: 8, size: SIZE });
  serve = await startServe();
  const { client, close } = await connectWs(serve.wsUrl);
  try {
    const dataset = await client.invoke('datasets.addFolder', { path: join(scratch, 'shapes'), name: 'Shapes' });
    const finished = new Promise<string>((resolve) => {
      client.subscribe('training.status', ({ run }) => {
        if (hasEnded(run.status)) resolve(run.error ?? run.status);
      });
    });
    const config = {
      scale: 0.25,
      groups: 3,
      stem: 'cifar',
      inputSize: SIZE,
      epochs: 10,
      batchSize: 8,
      lr: 0.05,
      warmupEpochs: 0,
      augment: false,
      zeroInitBranches: true,
    } as const;
    const run = await client.invoke('training.start', { datasetId: dataset.id, config, name: 'Shapes bare page' });
    expect(await finished).toBe('completed');
    const exported = await client.invoke('runs.export', { runId: run.id, format: 'tfjs' });
    exportDir = exported.dir;
    runDir = exported.checkpoint.dir;
  } finally {
    close();
  }

  // The site: the export folder as written, plus images the model never trained on.
  const images = join(exportDir, 'images');
  mkdirSync(images);
  for (const [c, name] of CLASSES.entries()) {
    for (const i of [20, 33]) {
      const file = `${name}-${i}.png`;
      writeFileSync(join(images, file), await syntheticImage(c, i, SIZE));
      probes.push(file);
    }
  }
  site = await serveFolder(exportDir, requested);
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

  page = await browser.newPage();
  const tfjsBundle = createRequire(import.meta.url).resolve('@tensorflow/tfjs/dist/tf.min.js');
  // Nothing but the static site and tf.min.js: any other address fails the page's load.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === TFJS_CDN_URL) return route.fulfill({ path: tfjsBundle, contentType: 'text/javascript' });
    return url.startsWith(`${siteUrl}/`) ? route.continue() : route.abort();
  });
});

test.afterAll(async () => {
  if (site) await new Promise((resolve) => site.close(resolve));
});

serveSpecHooks(() => ({ page, serve, scratch }));

interface Ranked {
  label: string;
  probability: number;
}

/** The app's own prediction of every probe image: CLI `predict --json`, one line per image. */
function appPredictions(): Map<string, Ranked[]> {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/main.ts', 'predict', '--run', runDir, join(exportDir, 'images'), '--top-k', String(CLASSES.length), '--json'],
    { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 },
  );
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { path?: string; top?: Ranked[] });
  // The last line is the summary ({"done": ...}), not an image.
  return new Map(lines.filter((item) => item.path !== undefined).map((item) => [item.path!.split('/').pop()!, item.top ?? []]));
}

test('the exported example.html classifies images in a bare page as the app does', async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${siteUrl}/example.html`);
  await page.waitForFunction(() => typeof (window as unknown as { classify?: unknown }).classify === 'function' && 'tf' in window);

  const inPage = await page.evaluate(async (names) => {
    const classify = (window as unknown as { classify(img: HTMLImageElement): Promise<{ label: string; probability: number }[]> }).classify;
    const out: Record<string, { label: string; probability: number }[]> = {};
    for (const name of names) {
      const img = new Image();
      img.src = `images/${name}`;
      await img.decode();
      out[name] = await classify(img);
    }
    const tf = (window as unknown as { tf: { getBackend(): string; version: { tfjs: string } } }).tf;
    return { out, backend: tf.getBackend(), version: tf.version.tfjs };
  }, probes);
  console.log(`bare page: tfjs ${inPage.version} on ${inPage.backend}`);

  const app = appPredictions();
  expect([...app.keys()].sort()).toEqual([...probes].sort());
  // A model that says one class for everything would make the comparison say little.
  expect(new Set([...app.values()].map((top) => top[0]!.label)).size, 'the trained run tells the classes apart').toBe(CLASSES.length);
  let maxDiff = 0;
  for (const name of probes) {
    const [mine, theirs] = [inPage.out[name]!, app.get(name)!];
    console.log(`${name}: page ${mine[0]!.label} ${mine[0]!.probability.toFixed(4)}, app ${theirs[0]!.label} ${theirs[0]!.probability.toFixed(4)}`);
    expect(mine[0]!.label, name).toBe(theirs[0]!.label);
    for (const t of theirs) maxDiff = Math.max(maxDiff, Math.abs(mine.find((m) => m.label === t.label)!.probability - t.probability));
  }
  console.log(`largest probability difference page vs app: ${maxDiff.toExponential(2)}`);
  expect(maxDiff).toBeLessThan(1e-3);

  // The page's own file input, as a person uses it.
  await page.locator('#file').setInputFiles(join(exportDir, 'images', probes[0]!));
  await expect(page.locator('#result')).toHaveText(new RegExp(`^${app.get(probes[0]!)![0]!.label} \\d+\\.\\d%$`));
  await page.screenshot({ path: join('test-results', 'screenshots', 'tfjs-bare-page.png') });

  expect(errors).toEqual([]);
  // Only the export's files and the images came from the site; tfjs came from the (answered) CDN address.
  const files = new Set(requested.map((p) => p.replace(/^\//, '')).filter((p) => p !== 'favicon.ico'));
  expect([...files].filter((p) => !p.startsWith('images/')).sort()).toEqual(['example.html', 'model.json', 'weights.bin']);
});
