import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator } from '@playwright/test';
import { list as listTar } from 'tar';
import type { ApiClient } from '../../src-main/contract';
import { makeImageFolder, syntheticImage } from '../fixtures/image-folder';
import { connectWs } from '../fixtures/ws-client';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { StudioPage } from './studio-page';
import { hasEnded } from '../../src-main/contract';

/**
 * Labeling and Prediction in a 1280 x 900 browser window against the real serve mode (issue 17,
 * items 9, 11 and 13): switching dataset while labeling, Tab to the tiles, the labeled export as a
 * download, grids that use the window, and "Accept as labels" with its cut-off, count, target and
 * undo. A tiny run is trained through the API; the person's path to a run is person-path.spec.ts.
 */
test.describe.configure({ mode: 'serial' });

const SIZE = 16;
const CLASSES = ['circle', 'stripes', 'plain'];
/** The palette lists a folder's classes in name order. */
const PALETTE = [...CLASSES].sort();
const PREDICT_COUNT = 90;
/** A second dataset with CIFAR-10's ten classes: ten keys and ten colours. */
const TEN = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

let serve: ServeInstance;
let scratch: string;
let studio: StudioPage;
let api: ApiClient;
let closeApi: () => void;
let shapesId: number;
let otherId: number;

async function gridHeight(grid: Locator): Promise<number> {
  return (await grid.boundingBox())?.height ?? 0;
}

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-label-predict-'));
  const shapes = join(scratch, 'shapes');
  await makeImageFolder(shapes, { classes: CLASSES, perClass: 16, size: SIZE });
  for (let i = 0; i < 6; i++) writeFileSync(join(shapes, `loose-${i}.png`), await syntheticImage(i % 3, 50 + i, SIZE));
  await makeImageFolder(join(scratch, 'other'), { classes: TEN, perClass: 2, size: SIZE });
  const incoming = join(scratch, 'incoming');
  mkdirSync(incoming);
  for (let i = 0; i < PREDICT_COUNT; i++) writeFileSync(join(incoming, `photo-${i + 1}.png`), await syntheticImage(i % 3, 100 + i, SIZE));

  serve = await startServe();
  ({ client: api, close: closeApi } = await connectWs(serve.wsUrl));
  shapesId = (await api.invoke('datasets.addFolder', { path: shapes, name: 'Shapes' })).id;
  otherId = (await api.invoke('datasets.addFolder', { path: join(scratch, 'other'), name: 'Other' })).id;
  const finished = new Promise<string>((resolve) => {
    api.subscribe('training.status', ({ run }) => {
      if (hasEnded(run.status)) resolve(run.error ?? run.status);
    });
  });
  const config = { scale: 0.25, groups: 3, stem: 'cifar', inputSize: SIZE, epochs: 1, batchSize: 8, warmupEpochs: 0, augment: false } as const;
  await api.invoke('training.start', { datasetId: shapesId, config, name: 'Shapes tiny' });
  expect(await finished).toBe('completed');

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  studio = new StudioPage(page, 'label-predict');
  await studio.open(serve.url);
});

test.afterAll(() => closeApi?.());
serveSpecHooks(() => ({ page: studio?.page, serve, scratch }));

test('9. switching dataset in Labeling shows its classes, and a class typed at once lands in it', async () => {
  await studio.show('labeling');
  const dataset = studio.testId('labeling-dataset');
  await dataset.selectOption(String(shapesId));
  await expect(studio.testId('labeling-count')).toHaveText(`${CLASSES.length * 16 + 6} images`);
  const names = studio.testId('class-palette').locator('[data-testid^="assign-class-"] .name');
  await expect(names).toHaveText(PALETTE);

  // Switch, then type a class and press Enter without waiting for the new images.
  await dataset.selectOption(String(otherId));
  await studio.testId('new-class-name').fill('parrot');
  await studio.testId('new-class-name').press('Enter');
  await expect(names).toHaveText([...TEN, 'parrot']);
  await expect(studio.testId('labeling-count')).toHaveText('20 images');
  // Ten keys for ten classes (0 is the 10th), ten different colours.
  await expect(studio.testId('class-key')).toHaveText(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
  const swatches = await studio
    .testId('class-palette')
    .locator('[data-testid^="assign-class-"] .swatch')
    .evaluateAll((nodes) => nodes.map((n) => getComputedStyle(n).backgroundColor));
  expect(new Set(swatches.slice(0, 10)).size).toBe(10);
  await studio.page.keyboard.press('Escape');
  await studio.testId('labeling-tile').first().focus();
  await studio.page.keyboard.press('0');
  await expect(studio.testId('labeling-tile').first()).toContainText('truck');
  await studio.snap('labeling-ten-classes');
  await studio.expectNoErrorToast();
  const other = await api.invoke('datasets.get', { id: otherId });
  expect(other.classes.map((c) => c.name)).toEqual([...TEN, 'parrot']);
  const shapes = await api.invoke('datasets.get', { id: shapesId });
  expect(shapes.classes.map((c) => c.name)).toEqual(PALETTE);
});

test('13 + polish. the labeling grid uses the window, tiles take Tab, the export downloads', async () => {
  await studio.testId('labeling-dataset').selectOption(String(shapesId));
  await expect(studio.testId('labeling-count')).toHaveText(`${CLASSES.length * 16 + 6} images`);
  const grid = studio.testId('thumbnail-grid');
  // 900 px window: the grid was a 335-371 px box under the preview.
  expect(await gridHeight(grid)).toBeGreaterThan(650);
  await expect(studio.testId('class-key')).toHaveText(['1', '2', '3']);
  await studio.snap('labeling-1280x900');

  // Tab from one tile reaches the next, which becomes current: number keys label the focused tile.
  const tiles = studio.testId('labeling-tile');
  await tiles.nth(0).focus();
  await studio.page.keyboard.press('Tab');
  await expect(tiles.nth(1)).toBeFocused();
  await expect(tiles.nth(1)).toHaveClass(/current/);
  await studio.page.keyboard.press('2');
  await expect(tiles.nth(1)).toContainText(PALETTE[1]!);
  await studio.page.keyboard.press('ArrowLeft');
  await studio.page.keyboard.press('Backspace');
  await expect(tiles.nth(1)).toContainText('Unlabeled');

  // In the browser the export is a download, one folder per class.
  await studio.testId('export-labeled').click();
  const downloading = studio.page.waitForEvent('download');
  await studio.testId('export-labeled-download').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('shapes-labeled.tar.gz');
  const entries: string[] = [];
  await listTar({ file: (await download.path())!, onReadEntry: (entry) => entries.push(entry.path) });
  const files = entries.filter((path) => path.endsWith('.png'));
  const labeled = (await api.invoke('datasets.get', { id: shapesId })).classes;
  expect(files).toHaveLength(labeled.reduce((sum, c) => sum + c.count, 0));
  for (const c of labeled) expect(files.filter((path) => path.startsWith(`shapes-labeled/${c.name}/`))).toHaveLength(c.count);
  await studio.expectNoErrorToast();
});

test('11 + 13. Prediction: the grid uses the window, Accept counts what it takes, names the dataset, and undoes', async () => {
  await studio.show('prediction');
  await expect(studio.testId('predict-run')).toContainText('Shapes tiny');
  await studio.testId('predict-folder-path').fill(join(scratch, 'incoming'));
  await studio.testId('predict-folder-submit').click();
  await expect(studio.testId('predict-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(studio.testId('predict-count')).toHaveText(`${PREDICT_COUNT} of ${PREDICT_COUNT} shown`);
  await expect(studio.testId('predict-tta-used')).toHaveText('Test-time augmentation: none');
  const grid = studio.testId('prediction-grid');
  expect(await gridHeight(grid)).toBeGreaterThan(550);
  await studio.snap('prediction-1280x900');

  // The target is the dataset the run was trained on; the cut-off follows the filter's.
  await expect(studio.testId('predict-accept-dataset')).toHaveValue(String(shapesId));
  await expect(studio.testId('predict-accept-min-value')).toHaveText('0%');
  await studio.testId('predict-min-confidence').fill('40');
  await expect(studio.testId('predict-accept-min-value')).toHaveText('40%');
  const shownText = (await studio.testId('predict-count').innerText()).split(' ')[0]!;
  await expect(studio.testId('predict-accept')).toHaveText(`Accept ${shownText} as labels`);
  // Its own, stricter cut-off: fewer images, counted on the button.
  await studio.testId('predict-accept-min-confidence').fill('45');
  const label = await studio.testId('predict-accept').innerText();
  const willAccept = Number(/Accept (\d+) as labels/.exec(label)?.[1]);
  expect(willAccept).toBeLessThanOrEqual(Number(shownText));

  const before = await api.invoke('datasets.get', { id: shapesId });
  if (willAccept === 0) {
    await expect(studio.testId('predict-accept')).toBeDisabled();
    await expect(studio.testId('predict-accept-reason')).toHaveText('No shown prediction reaches the minimum confidence');
    await studio.testId('predict-accept-min-confidence').fill('0');
  }
  const accepted = Number(/Accept (\d+) as labels/.exec(await studio.testId('predict-accept').innerText())?.[1]);
  expect(accepted).toBeGreaterThan(0);
  await studio.testId('predict-accept').click();
  await expect(studio.page.locator('[data-testid="toast"][data-kind="success"]').last()).toHaveText(
    new RegExp(`Added ${accepted} images? to “Shapes” with their predicted labels`),
  );
  await expect(studio.testId('predict-accept-done')).toContainText('“Shapes”');
  await expect.poll(async () => (await api.invoke('datasets.get', { id: shapesId })).imageCount).toBe(before.imageCount + accepted);
  await studio.snap('prediction-accepted');

  await studio.testId('predict-accept-undo').click();
  await expect(studio.testId('predict-accept-done')).toHaveCount(0);
  await expect.poll(async () => (await api.invoke('datasets.get', { id: shapesId })).imageCount).toBe(before.imageCount);
  const after = await api.invoke('datasets.get', { id: shapesId });
  expect(after.classes.map((c) => [c.name, c.count])).toEqual(before.classes.map((c) => [c.name, c.count]));
  await studio.expectNoErrorToast();
});

test('13. a changed filter scrolls to the top, and filters do not carry over to the next prediction', async () => {
  await studio.testId('predict-min-confidence').fill('0');
  const viewport = studio.testId('prediction-grid');
  await viewport.evaluate((el) => el.scrollTo(0, 600));
  await expect.poll(() => viewport.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  await studio.testId('predict-sort').selectOption('name');
  await expect.poll(() => viewport.evaluate((el) => el.scrollTop)).toBe(0);
  await expect(studio.testId('prediction-item').first()).toHaveAttribute('title', /photo-1\.png$/);

  const label = await studio.testId('prediction-item').first().getAttribute('data-label');
  await studio.testId('predict-filter-class').selectOption(label!);
  await studio.testId('predict-min-confidence').fill('30');
  await studio.testId('predict-folder-submit').click();
  await expect(studio.testId('predict-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(studio.testId('predict-filter-class')).toHaveValue('');
  await expect(studio.testId('predict-min-confidence')).toHaveValue('0');
  await expect(studio.testId('predict-sort')).toHaveValue('confidence-desc');
  await expect(studio.testId('predict-count')).toHaveText(`${PREDICT_COUNT} of ${PREDICT_COUNT} shown`);
  await studio.expectNoErrorToast();
});

test('the summary names the test-time augmentation the prediction used, as its CSV does', async () => {
  await studio.testId('predict-tta-flip').check();
  // Ticking it changes the next prediction, not what the shown one used.
  await expect(studio.testId('predict-tta-used')).toHaveText('Test-time augmentation: none · the next prediction uses flip');
  await studio.testId('predict-folder-submit').click();
  await expect(studio.testId('predict-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(studio.testId('predict-tta-used')).toHaveText('Test-time augmentation: flip');
  await expect(studio.testId('predict-count')).toHaveText(`${PREDICT_COUNT} of ${PREDICT_COUNT} shown`);
  await studio.snap('prediction-tta-flip');

  const downloading = studio.page.waitForEvent('download');
  await studio.testId('predict-export-csv').click();
  const csv = readFileSync((await (await downloading).path())!, 'utf8').replace(/^\uFEFF/, '');
  const [header, ...rows] = csv.trim().split(/\r?\n/);
  expect(header!.split(',').at(-1)).toBe('tta');
  expect(rows).toHaveLength(PREDICT_COUNT);
  expect(new Set(rows.map((row) => row.split(',').at(-1)))).toEqual(new Set(['flip']));

  await studio.testId('predict-tta-flip').uncheck();
  await expect(studio.testId('predict-tta-used')).toHaveText('Test-time augmentation: flip · the next prediction uses none');
  await studio.expectNoErrorToast();
});
