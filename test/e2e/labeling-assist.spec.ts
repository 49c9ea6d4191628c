import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { hasEnded, type ApiClient, type TrainConfigInput } from '../../src-main/contract';
import { runLabel } from '../../src-renderer/lib/run-label';
import { makeImageFolder, syntheticImage } from '../fixtures/image-folder';
import { connectWs } from '../fixtures/ws-client';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { StudioPage } from './studio-page';

/**
 * Labeling that learns, as a person uses it in Chromium against the real serve mode (issue 16):
 * the run that suggests picked from the dataset's runs, one key to accept a suggestion, "Accept
 * all at least X% sure" and its undo, least certain first, "trained before N labels changed",
 * multi-select labeling, and the heatmap toggle. A tiny run is trained through the API first, then
 * a quick fit from it, so the older run is the one not picked by default.
 */
test.describe.configure({ mode: 'serial' });

const SIZE = 16;
const CLASSES = ['circle', 'plain', 'stripes'];
const LOOSE = 12;

let serve: ServeInstance;
let scratch: string;
let studio: StudioPage;
let api: ApiClient;
let closeApi: () => void;
let datasetId: number;
let tinyId: number;
let quickId: number;

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-assist-'));
  const shapes = join(scratch, 'shapes');
  await makeImageFolder(shapes, { classes: CLASSES, perClass: 12, size: SIZE });
  for (let i = 0; i < LOOSE; i++) writeFileSync(join(shapes, `loose-${String(i).padStart(2, '0')}.png`), await syntheticImage(i % 3, 300 + i, SIZE));
  serve = await startServe();
  ({ client: api, close: closeApi } = await connectWs(serve.wsUrl));
  datasetId = (await api.invoke('datasets.addFolder', { path: shapes, name: 'Shapes' })).id;
  const train = async (config: TrainConfigInput, name: string) => {
    const finished = new Promise<string>((resolve) => {
      const stop = api.subscribe('training.status', ({ run }) => {
        if (run.name === name && hasEnded(run.status)) {
          stop();
          resolve(run.error ?? run.status);
        }
      });
    });
    const run = await api.invoke('training.start', { datasetId, config, name });
    expect(await finished).toBe('completed');
    return run.id;
  };
  const config = { scale: 0.25, groups: 3, stem: 'cifar', inputSize: SIZE, epochs: 2, batchSize: 8, lr: 0.01, warmupEpochs: 0, augment: false } as const;
  tinyId = await train(config, 'Shapes tiny');
  // The newer run, which the picker offers first: a quick fit of a new head on the tiny run's features.
  quickId = await train({ ...config, init: tinyId, linearProbe: true }, 'Shapes quick fit');

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  studio = new StudioPage(page, 'labeling-assist');
  await studio.open(serve.url);
});

test.afterAll(() => closeApi?.());
serveSpecHooks(() => ({ page: studio?.page, serve, scratch }));

const unlabeledCount = async () => (await api.invoke('datasets.get', { id: datasetId })).unlabeledCount;

test('a picked run suggests labels and the bar names it; Enter accepts one, and that model is then older than the labels', async () => {
  await studio.show('labeling');
  await studio.testId('labeling-dataset').selectOption(String(datasetId));
  await studio.testId('labeling-filter').selectOption('unlabeled');
  await expect(studio.testId('labeling-count')).toHaveText(`${LOOSE} images`);
  // Both runs are offered, newest first, and the newest is the default; the older one is picked.
  const picker = studio.testId('suggestions-run');
  const tiny = (await api.invoke('runs.list', {})).find((run) => run.id === tinyId)!;
  const tinyLabel = runLabel(tiny);
  await expect(picker.locator('option')).toHaveText([/^Run “Shapes quick fit”/, tinyLabel]);
  await expect(picker.locator('option:checked')).toHaveText(/^Run “Shapes quick fit”/);
  await picker.selectOption({ label: tinyLabel });
  await studio.snap('suggestions-run-picked');
  await studio.testId('suggestions-start').click();
  await expect(studio.testId('suggestions-summary')).toContainText(`${LOOSE} suggestions`, { timeout: 60_000 });
  await expect(studio.testId('suggestions-by')).toHaveText(`Suggested by ${tinyLabel}`);
  await expect(studio.testId('suggestions-start')).toHaveText('Suggest again');
  expect((await api.invoke('suggestions.status', { datasetId })).run?.id).toBe(tinyId);
  await expect(studio.testId('tile-suggestion')).toHaveCount(LOOSE);

  // Least certain first: the grid's order is the service's, smallest margin first.
  await studio.testId('labeling-order').selectOption('least-certain');
  const expected = await api.invoke('images.list', { datasetId, filter: { classId: null }, order: 'least-certain' });
  await expect(studio.testId('labeling-tile').first()).toHaveAttribute('data-image-id', String(expected.items[0].id));
  await studio.snap('suggestions-least-certain');

  const first = expected.items[0];
  const { classes } = await api.invoke('datasets.get', { id: datasetId });
  const suggested = classes.find((c) => c.id === first.suggestion!.classId)!.name;
  await expect(studio.testId('preview-suggestion')).toContainText(suggested);
  await studio.page.keyboard.press('Enter');
  await expect(studio.testId('labeling-tile').first()).toContainText(suggested);
  expect(await unlabeledCount()).toBe(LOOSE - 1);
  await expect(studio.testId('suggestions-stale')).toHaveText('trained before 1 label changed');
  await expect(studio.testId('suggestions-retrain')).toBeVisible();
  // The pick stays while the person moves through the app.
  await studio.show('datasets');
  await studio.show('labeling');
  await expect(picker.locator('option:checked')).toHaveText(tinyLabel);
  await studio.snap('suggestion-accepted');
  await studio.expectNoErrorToast();
});

test('accept all at least X% sure labels them in one action, and Undo takes it back', async () => {
  await studio.testId('suggestions-min').fill('0');
  await studio.testId('suggestions-accept').click();
  await expect(studio.testId('labeling-count')).toHaveText('0 images');
  expect(await unlabeledCount()).toBe(0);
  await studio.snap('suggestions-accepted-all');
  await studio.testId('suggestions-undo').click();
  await expect(studio.testId('labeling-count')).toHaveText(`${LOOSE - 1} images`);
  expect(await unlabeledCount()).toBe(LOOSE - 1);
  await studio.expectNoErrorToast();
});

test('multi-select: click, shift-click, then one key labels the range; select all labels the filter', async () => {
  await studio.testId('labeling-order').selectOption('file');
  const tiles = studio.testId('labeling-tile');
  await tiles.nth(0).click();
  await tiles.nth(2).click({ modifiers: ['Shift'] });
  await studio.page.keyboard.press('1');
  for (const i of [0, 1, 2]) await expect(tiles.nth(i)).toContainText(CLASSES[0]);
  expect(await unlabeledCount()).toBe(LOOSE - 4);
  await studio.testId('labeling-select-all').click();
  await expect(studio.testId('class-palette')).toContainText(`${LOOSE - 4} selected`);
  await studio.page.keyboard.press('3');
  await expect.poll(unlabeledCount).toBe(0);
  await studio.snap('multi-select-labeled');
  await studio.expectNoErrorToast();
});

test('the heatmap toggle overlays where the model looked on the preview', async () => {
  await studio.testId('labeling-filter').selectOption('all');
  await studio.testId('labeling-tile').nth(4).click();
  await studio.testId('heatmap-toggle').click();
  await expect(studio.testId('heatmap-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect(studio.testId('labeling-preview').getByTestId('heatmap-layer')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await studio.snap('heatmap-preview');
  await studio.testId('heatmap-toggle').click();
  await expect(studio.testId('labeling-preview').getByTestId('heatmap-layer')).toBeHidden();
  await studio.expectNoErrorToast();
});

test('the same toggle overlays the heatmaps on a predicted folder; the Training view offers the quick fit and says what runs started from', async () => {
  await studio.show('prediction');
  await studio.testId('predict-folder-path').fill(join(scratch, 'shapes', 'circle'));
  await studio.testId('predict-folder-submit').click();
  await expect(studio.testId('predict-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  // Still off, as the labeling view left it: one switch for every view.
  await expect(studio.testId('heatmap-toggle')).toHaveAttribute('aria-pressed', 'false');
  await studio.testId('heatmap-toggle').click();
  const layers = studio.testId('prediction-grid').getByTestId('heatmap-layer');
  await expect(layers.first()).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect.poll(() => studio.testId('prediction-grid').locator('[data-testid="heatmap-layer"][data-ready="true"]').count(), { timeout: 60_000 }).toBe(12);
  await studio.snap('heatmap-prediction-grid');
  await studio.testId('heatmap-toggle').click();

  await studio.show('training');
  await studio.testId('cfg-init').selectOption({ label: 'Run “Shapes tiny”' });
  await expect(studio.testId('cfg-linear-probe')).toBeVisible();
  await studio.testId('cfg-linear-probe').check();
  await expect(studio.testId('cfg-epochs')).toBeHidden();
  await expect(studio.testId(`run-from-${tinyId}`)).toHaveText('Scratch');
  await studio.snap('training-quick-fit');
  await expect(studio.testId(`run-from-${quickId}`)).toHaveText('Run “Shapes tiny”');
  // The Training view shows the newest run, the quick fit.
  await expect(studio.testId('run-details')).toContainText('Started fromRun “Shapes tiny” · quick fit: new head only');
  await studio.testId('run-list').scrollIntoViewIfNeeded();
  await studio.snap('run-list-started-from');
  await studio.expectNoErrorToast();
});

test('the Health card can judge the images with a run of the dataset instead of the shipped model', async () => {
  await studio.show('datasets');
  await studio.testId(`dataset-item-${datasetId}`).click();
  const model = studio.testId('health-model');
  await expect(model).toContainText('Run “Shapes tiny”');
  await model.selectOption({ label: 'Run “Shapes tiny”' });
  await studio.testId('health-check').click();
  await expect(studio.testId('health-when')).toContainText('with run “Shapes tiny”', { timeout: 120_000 });
  await studio.snap('health-with-a-run');
  await studio.expectNoErrorToast();
});

test('the confusion-cell gallery overlays the same heatmaps', async () => {
  await studio.show('evaluation');
  await studio.testId('evaluate-button').click();
  await expect(studio.testId('metric-top1')).toBeVisible({ timeout: 120_000 });
  const cell = studio.page.locator('[data-testid="cm-cell"]:not([data-value="0"])').first();
  await cell.click();
  const gallery = studio.testId('cell-samples');
  await expect(gallery).toBeVisible();
  await gallery.getByTestId('heatmap-toggle').click();
  await expect(gallery.locator('[data-testid="heatmap-layer"][data-ready="true"]').first()).toBeVisible({ timeout: 60_000 });
  await gallery.scrollIntoViewIfNeeded();
  await studio.snap('heatmap-confusion-cell');
  await gallery.getByTestId('heatmap-toggle').click();
  await studio.expectNoErrorToast();
});
