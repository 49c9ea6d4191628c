/**
 * Does the process that serves the UI stay responsive while a model trains? Runs the real services
 * (SQLite, the forked ML host) in this process, as `serve` and Electron's main process do, starts a
 * training run on a generated image folder, and samples this process's event-loop delay
 * (perf_hooks.monitorEventLoopDelay) plus the round trip of a `runs.list` call every 50 ms while the
 * run trains. Target (issue 4): p99 event-loop delay under 20 ms.
 *
 *   node --import tsx bench/ui-latency.ts [--seconds 60] [--scale 0.5] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connectInMemory } from '../src-main/contract/in-memory';
import { createAppRouter } from '../src-main/services';
import { makeImageFolder } from '../test/fixtures/image-folder';

const { values: opts } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, scale: { type: 'string', default: '0.5' }, json: { type: 'boolean', default: false } },
});

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'studio-latency-'));
const folder = path.join(dataDir, 'images');
await makeImageFolder(folder, { perClass: 200, size: 32 });
const { router, services } = createAppRouter({ dataDir, onError: () => {} });
const { client } = connectInMemory(router);

const dataset = await client.invoke('datasets.addFolder', { path: folder });
const run = await client.invoke('training.start', {
  datasetId: dataset.id,
  config: { scale: Number(opts.scale) as 0.5, groups: 3, stem: 'cifar', inputSize: 32, epochs: 50, batchSize: 32, lr: 0.05, warmupEpochs: 1 },
});
let batches = 0;
const unsubscribe = client.subscribe('training.batch', () => (batches += 1));
while (batches === 0) await new Promise((resolve) => setTimeout(resolve, 100));

// The histogram records whole timer intervals, resolution included: subtract it to get the delay.
const RESOLUTION_MS = 1;
const loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loopDelay.enable();
const roundTrips: number[] = [];
const until = performance.now() + Number(opts.seconds) * 1000;
while (performance.now() < until) {
  const t0 = performance.now();
  await client.invoke('runs.list', {});
  roundTrips.push(performance.now() - t0);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
loopDelay.disable();
unsubscribe();
await client.invoke('training.stop', { runId: run.id });
services.close();
await rm(dataDir, { recursive: true, force: true });

roundTrips.sort((a, b) => a - b);
const result = {
  seconds: Number(opts.seconds),
  trainingBatchEvents: batches,
  eventLoopDelayMs: {
    p50: loopDelay.percentile(50) / 1e6 - RESOLUTION_MS,
    p99: loopDelay.percentile(99) / 1e6 - RESOLUTION_MS,
    max: loopDelay.max / 1e6 - RESOLUTION_MS,
  },
  runsListRoundTripMs: {
    p50: roundTrips[Math.floor(roundTrips.length * 0.5)],
    p99: roundTrips[Math.floor(roundTrips.length * 0.99)],
    calls: roundTrips.length,
  },
};
console.log(opts.json ? JSON.stringify(result) : result);
process.exit(0);
