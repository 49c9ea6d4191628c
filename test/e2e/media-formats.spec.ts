import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { makeFormatFolder, type FormatSample } from '../fixtures/image-folder';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { StudioPage } from './studio-page';

/**
 * Issue 17, item 10: every format the engine trains on shows in the browser, as a thumbnail in
 * the Datasets view and as a full image (BMP thumbnails were a 415 before).
 */
test.describe.configure({ mode: 'serial' });

let serve: ServeInstance;
let scratch: string;
let studio: StudioPage;
let formats: FormatSample[];

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-formats-'));
  formats = await makeFormatFolder(join(scratch, 'formats', 'every-format'));
  serve = await startServe();
  studio = new StudioPage(await browser.newPage(), 'formats');
  await studio.open(serve.url);
});

serveSpecHooks(() => ({ page: studio?.page, serve, scratch }));

/** How wide each image of the grid decoded in the page, by file name (0 = broken). */
const gridWidths = () =>
  studio.page.$$eval('[data-testid="dataset-detail"] figure.tile', (tiles) =>
    tiles.map((tile) => ({ title: tile.getAttribute('title') ?? '', width: tile.querySelector('img')?.naturalWidth ?? 0 })),
  );

test('every format shows as a thumbnail and as a full image', async () => {
  await studio.testId('folder-path').fill(join(scratch, 'formats'));
  await studio.testId('folder-submit').click();
  await expect(studio.testId('dataset-image-count')).toHaveText(String(formats.length));
  await expect(studio.page.locator('[data-testid="dataset-detail"] figure.tile')).toHaveCount(formats.length);
  await expect.poll(async () => (await gridWidths()).filter((tile) => tile.width > 0).length).toBe(formats.length);
  const widths = await gridWidths();
  for (const sample of formats) expect(widths.find((tile) => tile.title === sample.file)?.width, sample.file).toBe(128);
  await studio.expectNoErrorToast();
  await studio.snap('every-format-grid');

  // Full images at the URLs the app gives the Labeling view (the thumbnail URL's full-size twin).
  const full = await studio.page.$$eval('[data-testid="dataset-detail"] figure.tile img', async (images) =>
    Promise.all(
      images.map(async (img) => {
        const probe = new Image();
        probe.src = (img as HTMLImageElement).src.replace('/media/thumb/', '/media/image/');
        await probe.decode().catch(() => undefined);
        return { title: img.getAttribute('alt') ?? '', width: probe.naturalWidth, height: probe.naturalHeight };
      }),
    ),
  );
  for (const sample of formats) {
    expect(
      full.find((image) => image.title === sample.file),
      sample.file,
    ).toEqual({ title: sample.file, width: sample.width, height: sample.height });
  }
});
