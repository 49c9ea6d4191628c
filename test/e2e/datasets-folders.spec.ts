import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import type { Payload } from '../../src-main/contract';
import { connectWs } from '../fixtures/ws-client';
import { serveSpecHooks, startServe, type ServeInstance } from './serve-harness';
import { StudioPage } from './studio-page';

/**
 * Adding folders in the real serve mode, as a new user gets them wrong: a folder without class
 * folders, the same folder twice, a folder where nothing decodes, one with broken files of the
 * same name, broken links and a link to /, and a scan stopped midway.
 */
test.describe.configure({ mode: 'serial' });

let serve: ServeInstance;
let scratch: string;
let studio: StudioPage;

async function png(path: string, rgb: [number, number, number], size = 32): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  await sharp(
    Buffer.alloc(size * size * 3, 0).map((_, i) => rgb[i % 3]!),
    { raw: { width: size, height: size, channels: 3 } },
  )
    .png()
    .toFile(path);
}

async function addFolder(path: string): Promise<void> {
  await studio.testId('folder-path').fill(path);
  await studio.testId('folder-submit').click();
}

const datasetItems = () => studio.page.locator('[data-testid="dataset-list"] [data-testid^="dataset-item-"]');

test.beforeAll(async ({ browser }) => {
  scratch = mkdtempSync(join(tmpdir(), 'studio-e2e-folders-'));
  // animals/cats and animals/dogs: a person picks "cats", which has no class folders of its own.
  for (const n of [10, 2, 0, 1, 11]) await png(join(scratch, 'animals', 'cats', `${n}.png`), [220, 60, 60]);
  for (const n of [0, 1, 2]) await png(join(scratch, 'animals', 'dogs', `${n}.png`), [60, 60, 220]);
  // messy: two "broken 3.jpg", a broken link and a link to /.
  const jpeg = await sharp(Buffer.alloc(32 * 32 * 3, 128), { raw: { width: 32, height: 32, channels: 3 } })
    .jpeg()
    .toBuffer();
  for (const cls of ['ants', 'bees']) {
    for (const n of [0, 1]) await png(join(scratch, 'messy', cls, `${n}.png`), [60, 200, 60]);
    writeFileSync(join(scratch, 'messy', cls, 'broken 3.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  }
  symlinkSync(join(scratch, 'messy', 'gone.png'), join(scratch, 'messy', 'ants', 'dangling.png'));
  symlinkSync('/', join(scratch, 'messy', 'bees', 'everything'));
  // nothing readable
  mkdirSync(join(scratch, 'unreadable', 'cat'), { recursive: true });
  writeFileSync(join(scratch, 'unreadable', 'cat', 'a.png'), 'this is text, not a PNG');
  writeFileSync(join(scratch, 'unreadable', 'cat', 'b.jpg'), '');
  // big: enough images that a scan can be stopped midway
  const noisy = Buffer.alloc(192 * 192 * 3);
  for (let i = 0; i < noisy.length; i++) noisy[i] = (i * 7919) % 251;
  const big = await sharp(noisy, { raw: { width: 192, height: 192, channels: 3 } })
    .png()
    .toBuffer();
  mkdirSync(join(scratch, 'big', 'things'), { recursive: true });
  for (let i = 0; i < 1500; i++) writeFileSync(join(scratch, 'big', 'things', `${i}.png`), big);

  serve = await startServe();
  const page = await browser.newPage();
  studio = new StudioPage(page, 'folders');
  await studio.open(serve.url);
});

serveSpecHooks(() => ({ page: studio?.page, serve, scratch }));

test('a folder without class folders: the app says so and offers the folder above it', async () => {
  await addFolder(join(scratch, 'animals', 'cats'));
  const notice = studio.testId('folder-notice');
  await expect(notice).toHaveAttribute('data-kind', 'no-classes');
  await expect(notice).toContainText('“cats” has no class folders.');
  await expect(notice).toContainText('Its 5 images would be added unlabeled.');
  await expect(datasetItems()).toHaveCount(0);
  await studio.snap('no-class-folders');

  await studio.testId('notice-use-parent').click();
  await expect(studio.testId('dataset-name')).toHaveText('animals');
  await expect(studio.testId('folder-notice')).toHaveCount(0);
  await expect(studio.testId('class-count-bar')).toHaveCount(2);
  // Natural order: 0, 1, 2, 10, 11, not 0, 1, 10, 11, 2.
  const titles = await studio.page.locator('[data-testid="dataset-detail"] [title$=".png"]').evaluateAll((tiles) => tiles.map((t) => t.getAttribute('title')));
  expect(titles.slice(0, 5)).toEqual(['0.png', '1.png', '2.png', '10.png', '11.png']);
  await studio.expectNoErrorToast();
});

test('the same folder twice: the app says it is there already and opens it', async () => {
  await addFolder(join(scratch, 'animals') + '/');
  const notice = studio.testId('folder-notice');
  await expect(notice).toHaveAttribute('data-kind', 'already-added');
  await expect(notice).toContainText('“animals” is already added. Open it, or rescan it');
  await studio.snap('already-added');
  await studio.testId('notice-open').click();
  await expect(studio.testId('folder-notice')).toHaveCount(0);
  await expect(datasetItems()).toHaveCount(1);
  await expect(studio.testId('dataset-name')).toHaveText('animals');

  // A file added to the folder since: "Rescan it" takes it in, in the same dataset.
  await png(join(scratch, 'animals', 'dogs', '3.png'), [60, 60, 220]);
  await addFolder(join(scratch, 'animals'));
  await studio.testId('notice-rescan').click();
  await expect(studio.testId('dataset-image-count')).toHaveText('9');
  await expect(studio.page.locator('[data-testid="toast"][data-kind="success"]').filter({ hasText: 'Rescanned “animals”: 1 new file.' })).toHaveCount(1);
  await expect(datasetItems()).toHaveCount(1);
});

test('a folder with no readable image is not a success: nothing added, the reasons shown', async () => {
  await addFolder(join(scratch, 'unreadable'));
  const notice = studio.testId('folder-notice');
  await expect(notice).toHaveAttribute('data-kind', 'unreadable');
  await expect(notice).toContainText('Nothing was added.');
  await expect(notice).toContainText('cat/a.png: not an image (text file); cat/b.jpg: empty file (0 bytes)');
  await expect(studio.page.locator('[data-testid="toast"][data-kind="success"]').filter({ hasText: 'unreadable' })).toHaveCount(0);
  await expect(datasetItems()).toHaveCount(1);
  await studio.snap('no-readable-image');
});

test('skipped files: by path below the root, in plain words, the decoder’s text as a detail', async () => {
  await addFolder(join(scratch, 'messy'));
  await expect(studio.testId('dataset-name')).toHaveText('messy');
  const panel = studio.testId('skipped-files');
  await expect(panel).toContainText('4 files skipped');
  // More than three start folded to their title line.
  await expect(studio.testId('skipped-file')).toHaveCount(0);
  const folded = await panel.boundingBox();
  expect(folded!.height).toBeLessThan(60);
  await studio.snap('skipped-folded');
  await studio.testId('skipped-toggle').click();
  await expect(studio.testId('skipped-name')).toHaveText(['ants/broken 3.jpg', 'ants/dangling.png', 'bees/broken 3.jpg', 'bees/everything']);
  const rows = studio.testId('skipped-file');
  await expect(rows.nth(0)).toContainText('damaged or incomplete JPEG file');
  // The decoder's own words (sharp's or jpeg-js's, depending on which read the file): present, not parsed.
  await expect(rows.nth(0).getByTestId('skipped-detail')).not.toBeEmpty();
  await expect(rows.nth(1)).toContainText('broken link: its target does not exist');
  await expect(rows.nth(3)).toContainText('link to a folder outside the dataset folder (not followed)');
  await expect(rows.nth(3).getByTestId('skipped-detail')).toHaveText('links to /');
  await studio.expectNoErrorToast();
  await studio.snap('skipped-files');
});

test('a long scan shows its progress and stops on Cancel', async () => {
  await addFolder(join(scratch, 'big'));
  const progress = studio.testId('scan-progress');
  await expect(progress).toBeVisible();
  await expect(progress).toContainText('Checking images…');
  await expect(progress).toContainText(/\d of 1,500 images/);
  await studio.snap('scan-progress');
  await studio.testId('scan-cancel').click();
  await expect(progress).toHaveCount(0);
  await expect(datasetItems()).toHaveCount(2);
  await studio.expectNoErrorToast();
});

test('"Label them here" adds a folder without class folders and opens Labeling', async () => {
  await studio.show('datasets');
  await addFolder(join(scratch, 'animals', 'dogs'));
  await expect(studio.testId('folder-notice')).toHaveAttribute('data-kind', 'no-classes');
  await studio.testId('notice-label-here').click();
  await expect(studio.testId('view-labeling')).toBeVisible();
  await studio.show('datasets');
  await expect(datasetItems()).toHaveCount(3);
  await expect(studio.testId('dataset-name')).toHaveText('dogs');
  await studio.snap('flat-added');
});

test('the CIFAR-10 path field has a label of its own, not only a placeholder', async () => {
  await studio.testId('tab-cifar').click();
  const field = studio.page.getByLabel('CIFAR-10 folder');
  await expect(field).toBeVisible();
  await expect(field).toHaveAttribute('data-testid', 'cifar-path');
  await studio.snap('cifar-tab');
  await studio.testId('tab-folder').click();
});

test('a scan stops when the WebSocket of the client that asked for it closes; /proc is refused at once', async () => {
  const watcher = await connectWs(serve.wsUrl);
  const asker = await connectWs(serve.wsUrl);
  try {
    const scanId = 'abandoned-over-ws';
    const events: { at: number; payload: Payload<'datasets.scanProgress'> }[] = [];
    watcher.client.subscribe('datasets.scanProgress', (payload) => {
      if (payload.scanId === scanId) events.push({ at: Date.now(), payload });
    });
    const call = asker.client.invoke('datasets.addFolder', { path: join(scratch, 'big'), scanId });
    await expect.poll(() => events.some((e) => e.payload.phase === 'decode'), { timeout: 20_000 }).toBe(true);
    asker.close('tab closed');
    const closedAt = Date.now();
    await expect(call).rejects.toMatchObject({ code: 'transport-closed' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Progress comes every 100 ms while a scan runs; none may come a second after the socket closed.
    expect(events.filter((e) => e.at > closedAt + 1000)).toEqual([]);
    expect(events.at(-1)!.payload.done).toBeLessThan(1500);
    expect((await watcher.client.invoke('datasets.list', {})).some((d) => d.name === 'big')).toBe(false);

    const started = Date.now();
    await expect(watcher.client.invoke('datasets.addFolder', { path: '/proc' })).rejects.toMatchObject({ code: 'folder-system' });
    expect(Date.now() - started).toBeLessThan(5000);
  } finally {
    watcher.close();
  }
});
