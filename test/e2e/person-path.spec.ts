import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createLabelingFolder, createPredictFolder, type LabelingFolder, type PredictFolder } from './image-fixtures';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { StudioPage } from './studio-page';

/**
 * A person's whole path through the real serve mode, one browser page, one server:
 * add an image folder, label two images with the keyboard, train one short epoch, evaluate,
 * open a confusion-matrix cell, drop a folder with a broken image to predict, export the CSV.
 */
test.describe.configure({ mode: 'serial' });

let serve: ServeInstance;
let scratch: string;
let labeling: LabelingFolder;
let predictFolder: PredictFolder;
let studio: StudioPage;

/** What the training view showed at one moment (sampled in the page while a run goes). */
interface TrainingSample {
  progress: number | null;
  stepPoints: number;
  status: string | null;
}
let trainingSamples: TrainingSample[] = [];
let predictionDone = false;

function distinctWhileRunning(samples: TrainingSample[], pick: (sample: TrainingSample) => number | null): number[] {
  const values = samples.filter((sample) => sample.status === 'running').map(pick);
  return [...new Set(values.filter((value): value is number => value !== null && value > 0))];
}

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-images-'));
  labeling = await createLabelingFolder(join(scratch, 'pets-and-ships'));
  predictFolder = await createPredictFolder(join(scratch, 'to-predict'));
  // The ML host picks its backend as in real use (wasm here); SHUFFLENET_BACKEND may force one.
  serve = await startServe();
  const page = await browser.newPage();
  studio = new StudioPage(page, 'e2e');
  await studio.open(serve.url);
});

serveSpecHooks(() => ({ page: studio?.page, serve, scratch }));

test('1. add an image folder: classes from sub-folders, top-level images unlabeled', async () => {
  await studio.snap('start');
  await studio.testId('folder-name').fill('Pets and ships');
  await studio.testId('folder-path').fill(labeling.dir);
  await studio.testId('folder-submit').click();

  const total = labeling.classes.length * labeling.labeledPerClass + labeling.unlabeled.length;
  await expect(studio.testId('dataset-name')).toHaveText('Pets and ships');
  await expect(studio.testId('dataset-image-count')).toHaveText(String(total));
  // One bar per class plus one for the unlabeled images.
  await expect(studio.testId('class-count-bar')).toHaveCount(labeling.classes.length + 1);
  for (const name of labeling.classes) {
    await expect(studio.testId('class-count-bar').filter({ hasText: name })).toContainText(String(labeling.labeledPerClass));
  }
  await expect(studio.testId('class-count-bar').filter({ hasText: 'Unlabeled' })).toContainText(String(labeling.unlabeled.length));
  await expect(studio.page.locator('[data-testid="dataset-list"] [data-testid^="dataset-item-"]')).toHaveCount(1);
  await studio.expectNoErrorToast();
  await studio.snap('dataset-added');
});

test('2. label two unlabeled images with the number keys', async () => {
  await studio.testId('open-labeling').click();
  await expect(studio.testId('view-labeling')).toBeVisible();
  await studio.testId('labeling-filter').selectOption('unlabeled');
  await expect(studio.page.getByText(`${labeling.unlabeled.length} images`)).toBeVisible();

  // Number keys follow the palette order; the file name tells the true class (cat-12.png).
  const paletteButtons = studio.testId('class-palette').locator('[data-testid^="assign-class-"]');
  await expect(paletteButtons).toHaveCount(labeling.classes.length);
  const classNames = await paletteButtons.allInnerTexts();
  const labeled: string[] = [];
  for (let i = 0; i < 2; i++) {
    const current = studio.page.locator('[data-testid="labeling-tile"].current');
    await expect(current).toHaveCount(1);
    const file = (await current.getAttribute('title'))!;
    const trueClass = file.split('-')[0]!;
    const key = classNames.findIndex((text) => text.includes(trueClass)) + 1;
    expect(key, `class ${trueClass} in palette ${classNames.join(' | ')}`).toBeGreaterThan(0);
    await studio.page.locator('body').press(String(key));
    await expect(studio.page.locator(`[data-testid="labeling-tile"][title="${file}"]`)).toContainText(trueClass);
    labeled.push(file);
  }
  expect(new Set(labeled).size).toBe(2);
  await studio.snap('labeled-two');

  // Saved at once: a fresh listing of unlabeled images no longer has them.
  await studio.testId('labeling-filter').selectOption('all');
  await studio.testId('labeling-filter').selectOption('unlabeled');
  await expect(studio.page.getByText(`${labeling.unlabeled.length - 2} images`)).toBeVisible();
  for (const file of labeled) await expect(studio.page.locator(`[data-testid="labeling-tile"][title="${file}"]`)).toHaveCount(0);
  await studio.expectNoErrorToast();
});

test('3. train one short epoch and watch the chart and progress bar move', async () => {
  await studio.show('training');
  await expect(studio.testId('train-dataset')).toContainText('Pets and ships');
  await studio.testId('preset-fast-cifar').click();
  // A tiny model for one epoch: done in well under a minute on two CPU cores. The settings sit under "Advanced".
  await studio.testId('cfg-advanced').locator('summary').click();
  await studio.testId('cfg-scale').selectOption('0.5');
  await studio.testId('cfg-epochs').fill('1');
  await studio.testId('cfg-batch-size').fill('8');
  await studio.testId('cfg-lr').fill('0.01');
  await studio.testId('cfg-warmup').fill('0');
  await studio.testId('cfg-limit').fill('0');
  await studio.testId('run-name-input').fill('first try');

  // Record what a person would see change, sampled in the page every 40 ms.
  await studio.page.evaluate(() => {
    const samples: TrainingSample[] = [];
    (window as unknown as { __samples: TrainingSample[] }).__samples = samples;
    setInterval(() => {
      const bar = document.querySelector('[data-testid="training-progress-bar"]');
      const path = document.querySelector('[data-testid="loss-chart"] [data-series="step"] path');
      const d = path?.getAttribute('d') ?? '';
      samples.push({
        progress: bar?.getAttribute('aria-valuenow') ? Number(bar.getAttribute('aria-valuenow')) : null,
        stepPoints: d ? d.split(/[ML]/).filter(Boolean).length : 0,
        status: document.querySelector('[data-testid="training-progress"] [data-testid="run-status"]')?.getAttribute('data-status') ?? null,
      });
    }, 40);
  });
  await studio.testId('train-button').click();
  await expect(studio.testId('run-name')).toHaveText('first try');
  await expect(studio.testId('run-status').first()).toHaveAttribute('data-status', /running|completed/, { timeout: 60_000 });
  await expect.poll(async () => (await studio.testId('training-progress-bar').getAttribute('aria-valuenow')) ?? '0', { timeout: 120_000 }).not.toBe('0');
  await studio.snap('training-running');

  await expect(studio.testId('training-progress').getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 240_000 });
  await studio.expectNoErrorToast();
  await expect(studio.testId('run-backend')).not.toHaveText('not started yet');
  await expect(studio.testId('run-best')).toHaveText(/\d+(\.\d+)?\s*%/);
  await expect(studio.testId('training-progress-bar')).toHaveAttribute('aria-valuenow', '100');
  // After the epoch the train and validation loss appear as points beside the per-step line.
  await expect(studio.testId('loss-chart').locator('[data-series="validation"] path')).toHaveAttribute('d', /M/);
  await expect(studio.testId('run-list')).toContainText('first try');
  // The charts overflow the column, which scrolls: the run list keeps its rows instead of shrinking to its title.
  const runList = await studio.testId('run-list').boundingBox();
  expect(runList?.height ?? 0).toBeGreaterThan(80);
  await studio.snap('training-done');

  trainingSamples = await studio.page.evaluate(() => (window as unknown as { __samples: TrainingSample[] }).__samples);
  const progressValues = distinctWhileRunning(trainingSamples, (sample) => sample.progress);
  // The bar moved while the run was going, not only at the end.
  expect(progressValues.length, `progress values seen while running: ${progressValues.join(', ')}`).toBeGreaterThanOrEqual(2);
  expect(progressValues).toEqual([...progressValues].sort((a, b) => a - b));
});

test('4. evaluate the run and open a confusion-matrix cell', async () => {
  await studio.show('evaluation');
  await expect(studio.testId('eval-run')).toContainText('first try');
  await studio.testId('evaluate-button').click();
  await expect(studio.testId('metric-top1')).toBeVisible({ timeout: 120_000 });
  await studio.expectNoErrorToast();
  await expect(studio.testId('metric-top1')).toContainText('%');

  const cells = studio.testId('cm-cell');
  await expect(cells).toHaveCount(labeling.classes.length ** 2);
  const values = await cells.evaluateAll((nodes) =>
    nodes.map((node) => ({
      t: Number(node.getAttribute('data-true')),
      p: Number(node.getAttribute('data-pred')),
      value: Number(node.getAttribute('data-value')),
    })),
  );
  const evaluated = values.reduce((sum, cell) => sum + cell.value, 0);
  expect(evaluated).toBeGreaterThan(0);
  await studio.snap('evaluation');

  // A mistake if the model made one, else its largest correct cell.
  const nonEmpty = values.filter((cell) => cell.value > 0);
  const cell = nonEmpty.find((c) => c.t !== c.p) ?? nonEmpty.sort((a, b) => b.value - a.value)[0]!;
  await studio.page.locator(`[data-testid="cm-cell"][data-true="${cell.t}"][data-pred="${cell.p}"]`).click();
  const gallery = studio.testId('cell-samples');
  await expect(gallery).toBeVisible();
  await expect(gallery).toContainText(`${cell.value} image${cell.value === 1 ? '' : 's'}`);
  const samples = gallery.getByTestId('cell-sample');
  await expect(samples).toHaveCount(Math.min(cell.value, (await samples.count()) || cell.value));
  await expect(samples.first()).toContainText('true:');
  // Thumbnails load through the token-guarded media route.
  await expect
    .poll(() =>
      samples
        .first()
        .locator('img')
        .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
    )
    .toBeGreaterThan(0);
  await studio.snap('confusion-cell');

  // The same run again with flip test-time augmentation: a second result, which says it used it.
  await studio.testId('eval-tta-flip').check();
  await studio.testId('evaluate-button').click();
  await expect(studio.testId('eval-checkpoint')).toContainText('flip test-time augmentation', { timeout: 120_000 });
  await studio.expectNoErrorToast();
  await expect(studio.testId('metric-top1')).toContainText('%');
  await studio.snap('evaluation-flip-tta');
});

test('5. drop a folder with a broken image on the prediction view: grid plus the skipped file', async () => {
  await studio.show('prediction');
  await expect(studio.testId('predict-run')).toContainText('first try');
  await studio.dropFolder(predictFolder.dir, 'to-predict', [...predictFolder.images, predictFolder.broken]);

  await expect(studio.testId('predict-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const total = predictFolder.images.length + 1;
  await expect(studio.testId('predict-progress')).toContainText(`${total} / ${total} images`);
  await expect(studio.testId('predict-count')).toHaveText(`${predictFolder.images.length} of ${predictFolder.images.length} shown`);
  await expect(studio.testId('skipped-file')).toHaveCount(1);
  await expect(studio.testId('skipped-file')).toContainText(predictFolder.broken);
  await studio.expectNoErrorToast();
  await studio.snap('prediction-grid');
  predictionDone = true;
});

test('6. export the predictions as CSV and check its rows', async ({}, testInfo) => {
  const downloading = studio.page.waitForEvent('download');
  await studio.testId('predict-export-csv').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const bytes = readFileSync((await download.path())!);
  // The UTF-8 byte-order mark survives the download, so Excel reads non-ASCII names as written.
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const csv = bytes.subarray(3).toString('utf8');
  await testInfo.attach('predictions.csv', { body: csv, contentType: 'text/csv' });
  const [header, ...rows] = csv.trim().split(/\r?\n/);
  expect(header!.split(',').slice(0, 3)).toEqual(['path', 'label', 'probability']);
  expect(rows).toHaveLength(predictFolder.images.length + 1);
  const byName = new Map(rows.map((row) => [basename(row.split(',')[0]!.replace(/^"|"$/g, '')), row]));
  for (const image of predictFolder.images) {
    const fields = byName.get(image)?.split(',');
    expect(fields, `a row for ${image}`).toBeDefined();
    expect(labeling.classes).toContain(fields![1]);
    const probability = Number(fields![2]);
    expect(probability).toBeGreaterThan(0);
    expect(probability).toBeLessThanOrEqual(1);
  }
  expect(byName.get(predictFolder.broken), 'the broken file is listed with its reason').toBeDefined();
  await studio.snap('csv-exported');
});

// Last, so that a failure in these checks leaves the rest of the path running. Soft expectations
// report each broken live view on its own.
test('the live views showed results as they streamed in', async () => {
  test.skip(trainingSamples.length === 0 || !predictionDone, 'the training or prediction step did not finish');
  const pointCounts = distinctWhileRunning(trainingSamples, (sample) => sample.stepPoints);
  expect
    .soft(pointCounts.length, `the loss chart's per-step line while the run was going had point counts: ${pointCounts.join(', ') || 'none'}`)
    .toBeGreaterThanOrEqual(2);

  await studio.show('prediction');
  const items = studio.testId('prediction-item');
  await expect.soft(items, 'the prediction grid shows every predicted image').toHaveCount(predictFolder.images.length);
  for (const label of await items.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-label')))) {
    expect.soft(labeling.classes).toContain(label);
  }
  await studio.snap('prediction-grid-items');
});
