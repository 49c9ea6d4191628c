import { readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src-main/contract';
import { paths } from '../../src-main/services/context';
import { writeBmp8 } from '../engine/data/fixtures';
import { makeFormatFolder, type FormatSample } from '../fixtures/image-folder';
import { makeImageFolder, removeDir, startHarness, tempDir, writePng, type Harness } from './helpers';

let root: string;
let harness: Harness;
let pets: string;
let dataset: Dataset;
let formats: FormatSample[];

const HUGE = 300 * 1024 * 1024;

beforeAll(async () => {
  root = tempDir('media');
  pets = join(root, 'pets');
  await makeImageFolder(pets, 8);
  formats = await makeFormatFolder(join(pets, 'formats'));
  symlinkSync('/etc/passwd', join(pets, 'cat', 'passwd.png'));
  // Sparse: 300 MB long, no disk used, and fast to write.
  writeFileSync(join(pets, 'cat', 'huge.png'), '');
  truncateSync(join(pets, 'cat', 'huge.png'), HUGE);
  await writePng(join(root, 'outside', 'secret.png'), [10, 200, 10]);
  harness = startHarness(join(root, 'data'));
  dataset = await harness.client.invoke('datasets.addFolder', { path: pets });
}, 120_000);

afterAll(() => {
  harness?.close();
  removeDir(root);
});

const imageId = (rel: string) => harness.services.storage.images.bySampleKey(dataset.id, rel)?.id;

async function media(variant: 'thumb' | 'image', kind: 'image' | 'predict', id: number | undefined, size?: number) {
  const query = size === undefined ? '' : `?size=${size}`;
  const response = await harness.services.media.handle(new Request(`http://127.0.0.1/media/${variant}/${kind}/${id}${query}`));
  return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
}

/** The RGB pixel at (x, y) of encoded image bytes. */
async function pixel(bytes: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at], data[at + 1], data[at + 2]];
}

function expectColour(actual: number[], expected: readonly number[], what: string) {
  for (let c = 0; c < 3; c++) expect(Math.abs(actual[c] - expected[c]), `${what}: ${actual} against ${expected}`).toBeLessThan(40);
}

/** A PNG whose header says width x height, with one tiny (broken) data chunk: what a decoder sees first. */
function pngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.alloc(64)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('media: every format the engine reads', () => {
  it('shows each one as a thumbnail and as a full image, the right way up and in the right colours', async () => {
    for (const sample of formats) {
      const id = imageId(`formats/${sample.file}`);
      expect(id, `${sample.file} was scanned`).toBeDefined();
      const thumb = await media('thumb', 'image', id);
      expect([thumb.status, thumb.type], `${sample.file} thumbnail: ${thumb.status === 200 ? '' : thumb.body.toString()}`).toEqual([200, 'image/jpeg']);
      const meta = await sharp(thumb.body).metadata();
      expect([meta.width, meta.height]).toEqual([128, 128]);
      expectColour(await pixel(thumb.body, 64, 8), sample.top, `${sample.file} thumbnail top`);
      expectColour(await pixel(thumb.body, 64, 120), sample.bottom, `${sample.file} thumbnail bottom`);

      const full = await media('image', 'image', id);
      expect([full.status, full.type], `${sample.file} full image: ${full.status === 200 ? '' : full.body.toString()}`).toEqual([200, sample.fullType]);
      const fullMeta = await sharp(full.body).metadata();
      expect([fullMeta.width, fullMeta.height]).toEqual([sample.width, sample.height]);
      expectColour(await pixel(full.body, 20, 3), sample.top, `${sample.file} full top`);
      expectColour(await pixel(full.body, 20, sample.height - 3), sample.bottom, `${sample.file} full bottom`);
    }
  });

  it('shows them in a prediction too, and nothing outside the prediction folder', async () => {
    const { storage } = harness.services;
    const run = storage.runs.create({ datasetId: dataset.id, name: 'media test', config: {}, epochs: 1, runDir: join(root, 'run') });
    const job = storage.predictions.createJob('media-job', run.id, join(pets, 'formats'));
    const top = [{ label: 'cat', probability: 0.9 }];
    for (const sample of formats) {
      const id = storage.predictions.addItem(job.id, join(pets, 'formats', sample.file), top, null);
      expect((await media('thumb', 'predict', id)).status, sample.file).toBe(200);
    }
    symlinkSync(join(root, 'outside', 'secret.png'), join(pets, 'formats', 'link-out.png'));
    const outside = await media('thumb', 'predict', storage.predictions.addItem(job.id, join(pets, 'formats', 'link-out.png'), top, null));
    expect(outside.status).toBe(404);
    expect(outside.body.toString()).toContain('outside');
    const skipped = await media('thumb', 'predict', storage.predictions.addItem(job.id, join(pets, 'cat', '0.png'), null, 'could not be decoded'));
    expect(skipped.status).toBe(415);
  });
});

describe('media: only what decoded at scan time, from inside the folder', () => {
  it('refuses a symlink to /etc/passwd and a 300 MB undecodable file, which the scan skipped', async () => {
    for (const name of ['passwd.png', 'huge.png']) {
      const id = imageId(`cat/${name}`);
      // The scan lists them as skipped (or, stricter, leaves them out); either way nothing is served.
      if (id === undefined) continue;
      for (const variant of ['thumb', 'image'] as const) {
        const response = await media(variant, 'image', id);
        expect(response.status, `${variant} of ${name}`).toBe(415);
        expect(response.body.toString()).toMatch(/was skipped when it was scanned/);
        expect(response.body.toString()).not.toContain('root:');
      }
    }
  });

  it('refuses a file that became a symlink out of the dataset folder after the scan, and follows one inside it', async () => {
    const file = join(pets, 'dog', '0.png');
    rmSync(file);
    symlinkSync(join(root, 'outside', 'secret.png'), file);
    for (const variant of ['thumb', 'image'] as const) {
      const response = await media(variant, 'image', imageId('dog/0.png'));
      expect(response.status, variant).toBe(404);
      expect(response.body.toString()).toContain(`links to ${join(root, 'outside', 'secret.png')}, outside ${pets}`);
    }
    const inside = join(pets, 'dog', '1.png');
    rmSync(inside);
    symlinkSync(join(pets, 'cat', '1.png'), inside);
    expect((await media('image', 'image', imageId('dog/1.png'))).body.equals(readFileSync(join(pets, 'cat', '1.png')))).toBe(true);
  });

  it('sniffs the bytes rather than trusting the extension', async () => {
    writeFileSync(join(pets, 'dog', '2.png'), 'root:x:0:0:root:/root:/bin/bash\n');
    const text = await media('image', 'image', imageId('dog/2.png'));
    expect(text.status).toBe(415);
    expect(text.body.toString()).toMatch(/is not an image: its bytes are not JPEG, PNG/);
    expect((await media('thumb', 'image', imageId('dog/2.png'))).status).toBe(415);

    const jpeg = await sharp(readFileSync(join(pets, 'dog', '3.png')))
      .jpeg()
      .toBuffer();
    writeFileSync(join(pets, 'dog', '3.png'), jpeg);
    const served = await media('image', 'image', imageId('dog/3.png'));
    expect([served.status, served.type]).toEqual([200, 'image/jpeg']);
    expect(served.body.equals(jpeg)).toBe(true);
  });

  it('refuses a file grown past 64 MB with 413, without reading it', async () => {
    const file = join(pets, 'cat', '3.png');
    truncateSync(file, HUGE);
    const before = process.memoryUsage().rss;
    for (const variant of ['image', 'thumb'] as const) {
      const response = await media(variant, 'image', imageId('cat/3.png'));
      expect(response.status, variant).toBe(413);
      expect(response.body.toString()).toBe(`${file} is 300 MB; images over 64 MB are not shown`);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('streams a full image byte for byte with its length', async () => {
    const file = join(pets, 'cat', '4.png');
    const response = await harness.services.media.handle(new Request(`http://127.0.0.1/media/image/image/${imageId('cat/4.png')}`));
    expect(response.headers.get('content-length')).toBe(String(readFileSync(file).length));
    expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(file))).toBe(true);
  });
});

describe('media: thumbnails cannot stall the server', () => {
  it('refuses a picture over 100 megapixels from its header, without decoding it', async () => {
    writeFileSync(join(pets, 'cat', '5.png'), pngHeader(16000, 16000));
    const response = await media('thumb', 'image', imageId('cat/5.png'));
    expect(response.status).toBe(415);
    expect(response.body.toString()).toBe(`${join(pets, 'cat', '5.png')} is 16000x16000 pixels; pictures over 100 megapixels are not previewed`);
  });

  it('decodes a big BMP off the thread that serves requests', async () => {
    // 3000x3000 palette BMP: about 1.5 s in the engine's JavaScript decoder.
    const side = 3000;
    writeFileSync(
      join(pets, 'cat', '7.png'),
      writeBmp8(
        new Array(side * side).fill(1),
        [
          [0, 0, 0],
          [200, 30, 30],
        ],
        side,
        side,
      ),
    );
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      longestGap = Math.max(longestGap, performance.now() - last);
      last = performance.now();
    }, 5);
    const thumb = await media('thumb', 'image', imageId('cat/7.png'));
    clearInterval(ticker);
    expect(thumb.status).toBe(200);
    expectColour(await pixel(thumb.body, 64, 64), [200, 30, 30], 'BMP thumbnail');
    expect(longestGap).toBeLessThan(400);
  });

  it('makes only three sizes: a requested size rounds up to 64, 128 or 256', async () => {
    const cache = paths.thumbnails(harness.dataDir);
    const cached = () => readdirSync(cache, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
    const before = cached();
    const id = imageId('cat/6.png');
    for (const [asked, made] of [
      [1, 64],
      [64, 64],
      [65, 128],
      [100, 128],
      [129, 256],
      [200, 256],
      [100000, 256],
    ]) {
      const thumb = await media('thumb', 'image', id, asked);
      expect(thumb.status).toBe(200);
      expect((await sharp(thumb.body).metadata()).width, `size=${asked}`).toBe(made);
    }
    expect(cached() - before).toBe(3);
  });
});
