// Grid room at 1280x900 (issue 17 item 13): `npx tsx bench/grid-room.ts <checkout>` prints the Labeling and Prediction grid heights
// and how many tiles are fully in view, for a checkout whose dist-renderer is built. A tiny run is trained first (~20 s).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { makeImageFolder, syntheticImage } from '../test/fixtures/image-folder';
import { connectWs } from '../test/fixtures/ws-client';

const root = process.argv[2] ?? process.cwd();
const scratch = mkdtempSync(join(tmpdir(), 'measure-'));
await makeImageFolder(join(scratch, 'shapes'), { classes: ['a', 'b', 'c'], perClass: 30, size: 16 });
mkdirSync(join(scratch, 'in'));
for (const n of ['broken-1.jpg', 'broken-2.jpg', 'broken-3.jpg']) writeFileSync(join(scratch, 'in', n), 'not an image');
for (let i = 0; i < 90; i++) writeFileSync(join(scratch, 'in', `p-${i}.png`), await syntheticImage(i % 3, i, 16));
const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/server/main.ts', '--port', '0', '--data-dir', join(scratch, 'data')], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
const url = await new Promise<string>((resolve) =>
  child.stdout!.on('data', (d) => {
    const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(String(d));
    if (m) resolve(m[1]!);
  }),
);
const u = new URL(url);
const { client, close } = await connectWs(`ws://${u.host}/ws?token=${u.searchParams.get('token')}`);
const ds = await client.invoke('datasets.addFolder', { path: join(scratch, 'shapes'), name: 'Shapes' });
const done = new Promise((r) =>
  client.subscribe('training.status', ({ run }) => {
    if (run.status !== 'running' && run.status !== 'queued') r(run.status);
  }),
);
await client.invoke('training.start', {
  datasetId: ds.id,
  config: { scale: 0.25, groups: 3, stem: 'cifar', inputSize: 16, epochs: 1, batchSize: 8, warmupEpochs: 0, augment: false },
  name: 'tiny',
});
await done;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(url);
await page.getByTestId('nav-labeling').click();
await page.getByTestId('labeling-tile').first().waitFor();
const lab = await page.getByTestId('thumbnail-grid').boundingBox();
const labTiles = await page.getByTestId('labeling-tile').evaluateAll(
  (n) =>
    n.filter((e) => {
      const r = e.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight;
    }).length,
);
await page.getByTestId('nav-prediction').click();
await page.getByTestId('predict-folder-path').fill(join(scratch, 'in'));
await page.getByTestId('predict-folder-submit').click();
await page.locator('[data-testid="predict-progress"][data-status="done"]').waitFor({ timeout: 120000 });
await page.getByTestId('prediction-item').first().waitFor();
const pred = await page.getByTestId('prediction-grid').boundingBox();
const predTiles = await page.getByTestId('prediction-item').evaluateAll(
  (n) =>
    n.filter((e) => {
      const r = e.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight;
    }).length,
);
console.log(
  JSON.stringify({
    root,
    labelingGridHeight: Math.round(lab!.height),
    labelingTilesFullyVisible: labTiles,
    predictionGridHeight: Math.round(pred!.height),
    predictionItemsFullyVisible: predTiles,
  }),
);

await browser.close();
close();
process.kill(-child.pid!, 'SIGTERM');
process.exit(0);
