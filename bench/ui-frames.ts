/**
 * Does the renderer keep drawing while a model trains? Starts the real serve mode, adds a
 * generated image folder (600 images, 3 classes) through the WebSocket API, opens the Training view
 * in headless Chromium (Debian's, as the e2e tests use) and records the interval between animation
 * frames, first with nothing running, then after clicking Train (the form's suggested preset) while
 * the live view takes the run's batch and epoch events. Issue 4: "the renderer keeps drawing".
 *
 *   node --import tsx bench/ui-frames.ts [--seconds 20] [--json]
 *
 * Builds the renderer first (`npm run build:renderer`), as the e2e setup does.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { makeImageFolder } from '../test/fixtures/image-folder';
import { startServe } from '../test/e2e/serve-harness';
import { connectWs } from '../test/fixtures/ws-client';

const { values: opts } = parseArgs({
  options: { seconds: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const seconds = Number(opts.seconds);
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/**
 * Intervals between the page's animation frames over `ms`, in milliseconds. The page script is a
 * string: tsx compiles functions with name helpers that do not exist inside the page.
 */
function frameIntervals(page: Page, ms: number): Promise<number[]> {
  return page.evaluate(`new Promise((resolve) => {
    const intervals = [];
    let last = performance.now();
    const end = last + ${ms};
    const frame = (now) => {
      intervals.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(frame);
      else resolve(intervals);
    };
    requestAnimationFrame(frame);
  })`);
}

function summary(intervals: number[]) {
  const sorted = [...intervals].sort((a, b) => a - b);
  const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))].toFixed(1));
  return {
    frames: intervals.length,
    fps: Number((intervals.length / seconds).toFixed(1)),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: at(1),
    over50Ms: intervals.filter((t) => t > 50).length,
  };
}

const build = spawnSync('npm', ['run', 'build:renderer', '--silent'], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', process.stderr, 'inherit'] });
if (build.status !== 0) throw new Error('npm run build:renderer failed');

const serve = await startServe();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const folder = join(serve.dataDir, 'images');
  await makeImageFolder(folder, { perClass: 200, size: 32 });
  const api = await connectWs(serve.wsUrl);
  let batchEvents = 0;
  api.client.subscribe('training.batch', () => (batchEvents += 1));
  await api.client.invoke('datasets.addFolder', { path: folder });
  const page = await browser.newPage({ viewport: { width: 1280, height: 840 } });
  await page.goto(serve.url);
  await page.getByTestId('nav-training').click();
  await page.getByTestId('view-training').waitFor();
  const idle = await frameIntervals(page, seconds * 1000);

  // As a person would: the form's suggested preset for a folder, then Train.
  await page.getByTestId('train-button').click();
  await page.getByTestId('training-progress').waitFor();
  while (batchEvents === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  const eventsBefore = batchEvents;
  const training = await frameIntervals(page, seconds * 1000);
  const eventsDuring = batchEvents - eventsBefore;
  api.close();
  const result = { seconds, idle: summary(idle), training: { ...summary(training), batchEvents: eventsDuring } };
  console.log(opts.json ? JSON.stringify(result) : result);
} finally {
  await browser.close();
  await serve.stop();
}
