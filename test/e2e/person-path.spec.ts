import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createLabelingFolder, createPredictFolder, type LabelingFolder, type PredictFolder } from './image-fixtures';
import { startServe, type ServeInstance } from './serve-harness';
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

test.afterAll(async () => {
  await studio?.page.close();
  await serve?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && serve) await testInfo.attach('serve output', { body: serve.output() });
});

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
