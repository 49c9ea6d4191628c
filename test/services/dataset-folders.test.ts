import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Payload } from '../../src-main/contract';
import { makeImageFolder, removeDir, startHarness, tempDir, writeBroken, writePng, type Harness } from './helpers';

let root: string;
let harness: Harness;

beforeAll(() => {
  root = tempDir('dataset-folders');
  harness = startHarness(join(root, 'data'));
});

afterAll(() => {
  harness.close();
  removeDir(root);
});

/** `count` copies of one noisy 160x160 PNG under `dir/things/`: slow enough to decode that a scan can be stopped midway. */
async function manyImages(dir: string, count: number): Promise<void> {
  const pixels = Buffer.alloc(160 * 160 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) % 251;
  const png = await sharp(pixels, { raw: { width: 160, height: 160, channels: 3 } })
    .png()
    .toBuffer();
  mkdirSync(join(dir, 'things'), { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(join(dir, 'things', `${i}.png`), png);
}

describe('adding folders: what a scan skips, refuses and reports', () => {
  it('follows no link to / or back into itself, lists broken links, and finishes quickly', async () => {
    const folder = join(root, 'linked');
    await makeImageFolder(folder, 2);
    symlinkSync('/', join(folder, 'cat', 'root-of-everything'));
    symlinkSync(folder, join(folder, 'dog', 'loop'));
    symlinkSync(join(folder, 'missing.png'), join(folder, 'dog', 'dangling.png'));
    const started = Date.now();
    const dataset = await harness.client.invoke('datasets.addFolder', { path: folder });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(dataset.imageCount).toBe(4);
    expect(dataset.skipped.map((s) => [s.relativePath, s.reason])).toEqual([
      ['cat/root-of-everything', 'link to a folder outside the dataset folder (not followed)'],
      ['dog/dangling.png', 'broken link: its target does not exist'],
      ['dog/loop', 'link loop: leads back to a folder being scanned (not followed)'],
    ]);
    expect(dataset.skipped[0]).toMatchObject({ path: join(folder, 'cat', 'root-of-everything'), detail: 'links to /' });
    await harness.client.invoke('datasets.remove', { id: dataset.id });
  });

  it('refuses /proc at once', async () => {
    const started = Date.now();
    await expect(harness.client.invoke('datasets.addFolder', { path: '/proc' })).rejects.toMatchObject({
      code: 'folder-system',
      message: '/proc is a system folder (/proc) that holds no images; choose a folder of images',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps skip reasons in plain words, with the decoder’s text as the detail, and lists images in natural order', async () => {
    const folder = join(root, 'numbered');
    for (const n of [10, 2, 1, 0, 11]) await writePng(join(folder, 'cat', `${n}.png`), [200, 40, 40]);
    const good = await sharp(Buffer.alloc(32 * 32 * 3, 90), { raw: { width: 32, height: 32, channels: 3 } })
      .jpeg()
      .toBuffer();
    for (const where of ['cat', 'dog']) {
      mkdirSync(join(folder, where), { recursive: true });
      writeFileSync(join(folder, where, 'broken 3.jpg'), good.subarray(0, good.length >> 1));
    }
    await writePng(join(folder, 'dog', '5.png'), [40, 40, 200]);
    const dataset = await harness.client.invoke('datasets.addFolder', { path: folder });
    // Two files of the same name are told apart by their path below the root.
    expect(dataset.skipped.map((s) => [s.relativePath, s.reason])).toEqual([
      ['cat/broken 3.jpg', 'damaged or incomplete JPEG file'],
      ['dog/broken 3.jpg', 'damaged or incomplete JPEG file'],
    ]);
    expect(dataset.skipped[0].detail).toMatch(/JPEG/);
    const images = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: {} });
    expect(images.items.map((i) => i.path.slice(folder.length + 1))).toEqual(['cat/0.png', 'cat/1.png', 'cat/2.png', 'cat/10.png', 'cat/11.png', 'dog/5.png']);
    await harness.client.invoke('datasets.remove', { id: dataset.id });
  });

  it('refuses a folder with no readable image, and adds nothing', async () => {
    const folder = join(root, 'all-broken');
    writeBroken(join(folder, 'cat', 'a.png'));
    writeFileSync(join(folder, 'cat', 'b.jpg'), '');
    const before = await harness.client.invoke('datasets.list', {});
    await expect(harness.client.invoke('datasets.addFolder', { path: folder })).rejects.toMatchObject({
      code: 'dataset-unreadable',
      message: `No readable image in ${folder}: all 2 files were skipped (cat/a.png: not an image (text file); cat/b.jpg: empty file (0 bytes)); nothing was added`,
    });
    expect(await harness.client.invoke('datasets.list', {})).toEqual(before);
  });

  it('says a folder was added already instead of adding it twice, also by another path to it', async () => {
    const folder = join(root, 'twice');
    await makeImageFolder(folder, 1);
    const first = await harness.client.invoke('datasets.addFolder', { path: folder, name: 'First' });
    const message = `${folder} is already added as “First”; open it from the list, or remove it first to add it again`;
    await expect(harness.client.invoke('datasets.addFolder', { path: folder })).rejects.toMatchObject({ code: 'conflict', message });
    const alias = join(root, 'alias-of-twice');
    symlinkSync(folder, alias);
    await expect(harness.client.invoke('datasets.addFolder', { path: alias })).rejects.toMatchObject({ code: 'conflict' });
    expect((await harness.client.invoke('datasets.list', {})).filter((d) => d.root === folder)).toHaveLength(1);
    expect(await harness.client.invoke('datasets.inspectFolder', { path: `${folder}/` })).toEqual({
      path: folder,
      subfolders: 2,
      looseImages: 0,
      parent: root,
      existing: { id: first.id, name: 'First' },
    });
    await harness.client.invoke('datasets.remove', { id: first.id });
  });

  it('rescans a folder: new files with their folder’s class, labels kept, files gone kept as skipped', async () => {
    const folder = join(root, 'growing');
    await makeImageFolder(folder, 2);
    const dataset = await harness.client.invoke('datasets.addFolder', { path: folder });
    const [cat, dog] = dataset.classes;
    const cat1 = (await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: cat.id } })).items.find((i) =>
      i.path.endsWith('cat/1.png'),
    )!;
    // The person relabels cat/1.png as a dog; the rescan must not undo that.
    await harness.client.invoke('labels.assign', { imageIds: [cat1.id], classId: dog.id });
    await writePng(join(folder, 'cat', '2.png'), [220, 40, 40]);
    await writePng(join(folder, 'bird', '0.png'), [40, 220, 40]);
    rmSync(join(folder, 'dog', '0.png'));
    writeBroken(join(folder, 'cat', '0.png'));

    const { dataset: after, ...counts } = await harness.client.invoke('datasets.rescan', { id: dataset.id });
    expect(counts).toEqual({ added: 2, changed: 1, missing: 1 });
    expect(after.classes.map((c) => [c.name, c.count])).toEqual([
      ['cat', 1],
      ['dog', 2],
      ['bird', 1],
    ]);
    expect(after.skipped.map((s) => [s.relativePath, s.reason])).toEqual([
      ['cat/0.png', 'not an image (text file)'],
      ['dog/0.png', 'no longer in the folder (its label is kept)'],
    ]);
    const dogs = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: dog.id } });
    expect(dogs.items.map((i) => i.path.slice(folder.length + 1))).toEqual(['cat/1.png', 'dog/1.png']);
    // Nothing changed: a second rescan finds nothing to do.
    const again = await harness.client.invoke('datasets.rescan', { id: dataset.id });
    expect([again.added, again.changed, again.missing]).toEqual([0, 0, 0]);
    await harness.client.invoke('datasets.remove', { id: dataset.id });
  });

  it('tells a folder without class folders before adding it', async () => {
    const folder = join(root, 'flat');
    for (let i = 0; i < 3; i++) await writePng(join(folder, `${i}.png`), [10, 200, 10]);
    writeFileSync(join(folder, 'notes.txt'), 'not an image');
    expect(await harness.client.invoke('datasets.inspectFolder', { path: folder })).toEqual({
      path: folder,
      subfolders: 0,
      looseImages: 3,
      parent: dirname(folder),
      existing: null,
    });
  });

  it('stops a scan on datasets.cancelScan, and adds nothing', async () => {
    const folder = join(root, 'many-cancelled');
    await manyImages(folder, 600);
    const scanId = 'scan-to-cancel';
    const events: Payload<'datasets.scanProgress'>[] = [];
    const stop = harness.client.subscribe('datasets.scanProgress', (p) => {
      if (p.scanId !== scanId) return;
      events.push(p);
      if (p.phase === 'decode' && events.filter((e) => e.phase === 'decode').length === 1) void harness.client.invoke('datasets.cancelScan', { scanId });
    });
    await expect(harness.client.invoke('datasets.addFolder', { path: folder, scanId })).rejects.toMatchObject({ code: 'aborted' });
    stop();
    expect(events.find((e) => e.phase === 'decode')).toMatchObject({ path: folder, scanId, total: 600, found: 600 });
    expect(events.at(-1)!.done).toBeLessThan(600);
    expect((await harness.client.invoke('datasets.list', {})).some((d) => d.root === folder)).toBe(false);
    expect(await harness.client.invoke('datasets.cancelScan', { scanId })).toEqual({ cancelled: false });
  });

  it('stops a scan when the client that asked for it goes away', async () => {
    const folder = join(root, 'many-abandoned');
    await manyImages(folder, 600);
    const scanId = 'scan-abandoned';
    const other = harness.connect();
    const events: Payload<'datasets.scanProgress'>[] = [];
    const first = harness.next('datasets.scanProgress', (p) => p.scanId === scanId);
    const stop = harness.client.subscribe('datasets.scanProgress', (p) => {
      if (p.scanId === scanId) events.push(p);
    });
    const call = other.client.invoke('datasets.addFolder', { path: folder, scanId });
    await first;
    other.close('tab closed');
    await expect(call).rejects.toMatchObject({ code: 'transport-closed' });
    // Long enough for the whole scan to have finished had it gone on (it takes about a second here).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stop();
    expect(events.at(-1)!.done).toBeLessThan(600);
    expect((await harness.client.invoke('datasets.list', {})).some((d) => d.root === folder)).toBe(false);
  });
});
