import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { ApiClient } from '../../src-main/contract';
import { connectWs } from '../fixtures/ws-client';
import { createHealthFolder, type HealthFolder } from './health-folder';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { StudioPage } from './studio-page';

/**
 * Dataset health in the Datasets view against the real serve mode (issue 16, items 3 and 4): a
 * folder of blue, red and green drawings (ocean, poppies, vines) with an exact copy of one poppy
 * drawing and an ocean one filed under poppies is checked with the shipped pretrained model; the copy shows as a warning with
 * its images, and the stray is relabeled from the likely-errors list with the R key.
 */
test.describe.configure({ mode: 'serial' });

let serve: ServeInstance;
let scratch: string;
let studio: StudioPage;
let api: ApiClient;
let closeApi: () => void;
let datasetId: number;
let folder: HealthFolder;

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-health-'));
  // 10 drawings per class: 5-fold cross-validation needs 5 per class.
  folder = await createHealthFolder(join(scratch, 'drawings'));

  serve = await startServe();
  ({ client: api, close: closeApi } = await connectWs(serve.wsUrl));
  datasetId = (await api.invoke('datasets.addFolder', { path: folder.dir, name: 'Drawings' })).id;

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  studio = new StudioPage(page, 'dataset-health');
  await studio.open(serve.url);
});

test.afterAll(() => closeApi?.());
serveSpecHooks(() => ({ page: studio?.page, serve, scratch }));

test('Check dataset: the copy is a warning with its images, and R relabels the stray drawing', async () => {
  await studio.testId(`dataset-item-${datasetId}`).click();
  const health = studio.testId('dataset-health');
  await expect(health).toBeVisible();
  await studio.testId('health-check').click();
  // The bar names the stage while the audit runs (it may also end before the first look).
  await expect(studio.testId('health-progress').or(studio.testId('health-warning').first())).toBeVisible();
  if (await studio.testId('health-progress').isVisible()) {
    await expect(studio.testId('health-cancel')).toBeVisible();
    await studio.snap('checking');
  }
  // Done when the check's date shows; a failure shows as an error toast, reported at once.
  const errorToast = studio.page.locator('[data-testid="toast"][data-kind="error"]');
  await expect(studio.testId('health-when').or(errorToast).first()).toBeVisible({ timeout: 180_000 });
  await studio.expectNoErrorToast();
  await expect(studio.testId('health-check')).toHaveText('Check again');

  // The exact copy: one warning about copies, which opens onto both files.
  const copies = studio.testId('health-warning').filter({ hasText: /copies/ });
  await expect(copies).toHaveCount(1);
  await copies.getByTestId('health-warning-toggle').click();
  await expect(copies.getByTestId('health-warning-image')).toHaveCount(2);
  const titles = await copies
    .getByTestId('health-warning-image')
    .locator('figure')
    .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('title')));
  expect(titles.sort()).toEqual([folder.copy, folder.copied].sort());

  // The ocean drawing under poppies is a likely error, suggested as ocean.
  const stray = studio.testId('likely-error').filter({ hasText: folder.misfiled });
  await expect(stray).toHaveCount(1);
  await expect(stray.getByTestId('likely-error-label')).toContainText('poppies');
  await expect(stray.getByTestId('likely-error-suggested')).toContainText('ocean');
  await expect(studio.testId('likely-errors-keys')).toContainText('relabel');
  await studio.snap('checked');

  const imageId = Number(await stray.getAttribute('data-image-id'));
  await stray.click();
  await studio.page.keyboard.press('r');
  await expect(studio.testId('likely-error').filter({ hasText: folder.misfiled })).toHaveCount(0);
  await expect(studio.testId('health-stale')).toHaveText('1 label changed since this check');
  const dataset = await api.invoke('datasets.get', { id: datasetId });
  const ocean = dataset.classes.find((c) => c.name === 'ocean')!;
  const { items } = await api.invoke('images.list', { datasetId, filter: { classId: ocean.id }, offset: 0, limit: 100 });
  expect(items.find((image) => image.id === imageId)?.path.endsWith(folder.misfiled)).toBe(true);
  await studio.snap('relabeled');
  await studio.expectNoErrorToast();
});

test('Check again can be cancelled: the bar goes and the last check stays', async () => {
  await studio.testId('health-check').click();
  const cancel = studio.testId('health-cancel');
  await expect(cancel).toBeEnabled();
  await cancel.click();
  await expect(studio.page.locator('[data-testid="toast"][data-kind="info"]').filter({ hasText: 'Check cancelled' })).toBeVisible();
  await expect(studio.testId('health-progress')).toHaveCount(0);
  await expect(studio.testId('health-check')).toHaveText('Check again');
  await expect(studio.testId('health-stale')).toHaveText('1 label changed since this check');
  await studio.expectNoErrorToast();
});
