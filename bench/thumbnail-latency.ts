/**
 * Does `serve` keep answering while it makes thumbnails of big images (issue 17, 1d)? Starts the
 * real serve process on a folder of big PNGs, asks for six thumbnails at once, and times a plain
 * `GET /` every 50 ms meanwhile (the static page, which goes through libuv's thread pool like
 * sharp does).
 *
 * Two loads: six sizes of one 16000x16000 PNG (every size was its own cache key), and six
 * different 8000x8000 PNGs, at each of the three thumbnail sizes in turn (under the pixel limit,
 * so they are made).
 *
 *   node --import tsx bench/thumbnail-latency.ts [--json]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { connectWs } from '../test/fixtures/ws-client';

const { values: opts } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const repo = path.join(import.meta.dirname, '..');

/** A solid PNG: cheap to store, but decoding it still inflates every pixel. */
async function bigPng(file: string, side: number, shade: number): Promise<void> {
  if (existsSync(file)) return;
  await mkdir(path.dirname(file), { recursive: true });
  await sharp({ create: { width: side, height: side, channels: 3, background: { r: shade, g: 80, b: 160 } }, limitInputPixels: false })
    .png({ compressionLevel: 9 })
    .toFile(file);
}

const work = await mkdtemp(path.join(os.tmpdir(), 'studio-thumb-bench-'));
// Kept between runs: writing the PNGs takes longer than the bench.
const folder = path.join(os.tmpdir(), 'studio-thumb-bench-images');
await bigPng(path.join(folder, 'bomb', 'huge-16000.png'), 16000, 10);
for (let i = 0; i < 6; i++) await bigPng(path.join(folder, 'large', `large-${i}.png`), 8000, 20 * i);

const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/server/main.ts', '--port', '0', '--data-dir', path.join(work, 'data')], {
  cwd: repo,
  stdio: ['ignore', 'pipe', 'ignore'],
});
process.once('exit', () => child.kill('SIGKILL'));
const url = await new Promise<string>((resolve) => {
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const match = /(http:\/\/\S+\?token=\S+)/.exec(out);
    if (match) resolve(match[1]!);
  });
});
const origin = new URL(url).origin;
const token = new URL(url).searchParams.get('token')!;
const { client } = await connectWs(`ws://${new URL(url).host}/ws?token=${token}`);
const dataset = await client.invoke('datasets.addFolder', { path: folder });
const images = (await client.invoke('images.list', { datasetId: dataset.id, limit: 100 })).items;
if (images.length !== 7) throw new Error(`expected 7 images, the scan found ${images.length}`);
const bomb = images.find((i) => i.path.includes('huge-16000'))!;
const large = images.filter((i) => i.path.includes('large-'));

async function timed(target: string): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const response = await fetch(`${origin}${target}${target.includes('?') ? '&' : '?'}token=${token}`);
  await response.arrayBuffer();
  return { ms: performance.now() - t0, status: response.status };
}

/** Fires `thumbs` together and samples `GET /` every 50 ms until they are all answered. */
async function underLoad(thumbs: string[]) {
  let pending = true;
  const t0 = performance.now();
  const all = Promise.all(thumbs.map(timed)).finally(() => (pending = false));
  const plain: number[] = [];
  while (pending) {
    plain.push((await timed('/')).ms);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const results = await all;
  plain.sort((a, b) => a - b);
  return {
    thumbnailsMs: Math.round(performance.now() - t0),
    statuses: results.map((r) => r.status),
    plainGet: { samples: plain.length, medianMs: Math.round(plain[plain.length >> 1]!), maxMs: Math.round(plain[plain.length - 1]!) },
  };
}

const idle = [];
for (let i = 0; i < 5; i++) idle.push((await timed('/')).ms);
const withoutToken = (target: string) => target.replace(/[?&]token=[^&]+/, '');
const result = {
  idlePlainGetMs: Math.round(Math.max(...idle.slice(1))),
  sixSizesOf16000: await underLoad([100, 120, 140, 160, 180, 200].map((size) => withoutToken(bomb.thumbUrl).replace(/size=\d+/, `size=${size}`))),
  // One round per size: each is a new cache key, so every round decodes again.
  sixLarge8000: await (async () => {
    const rounds = [];
    for (const size of [64, 128, 256]) rounds.push(await underLoad(large.map((i) => withoutToken(i.thumbUrl).replace(/size=\d+/, `size=${size}`))));
    return rounds;
  })(),
};
child.kill('SIGINT');
await new Promise((resolve) => child.once('exit', resolve));
await rm(work, { recursive: true, force: true });
console.log(opts.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
process.exit(0);
