/**
 * The Training form's device through the real services and ML host: training.start's config
 * `device` reaches the trainer (over the ML host's SHUFFLENET_DEVICE), the run's config keeps it,
 * and a GPU named there that cannot run fails the run with why instead of training on the CPU.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEnded, type Dataset, type Payload } from '../../src-main/contract';
import { onnxRuntimeStatus } from '../../src-main/engine/onnx/onnx-runtime';
import { onnxSkipReason } from '../engine/export/checkpoint-fixture';
import { makeImageFolder, removeDir, startHarness, TINY, tempDir, type Harness } from './helpers';

const skip = onnxSkipReason();
let root: string;
let harness: Harness;
let dataset: Dataset;
const saved = process.env.SHUFFLENET_DEVICE;

beforeAll(async () => {
  if (skip) return;
  root = tempDir('training-device');
  await makeImageFolder(join(root, 'pets'), 8, 2);
  // The ML host (forked on first use) inherits this: a device that did not come from the config would be CUDA.
  process.env.SHUFFLENET_DEVICE = 'cuda';
  harness = startHarness(join(root, 'data'));
  dataset = await harness.client.invoke('datasets.addFolder', { path: join(root, 'pets') });
});

afterAll(() => {
  if (saved === undefined) delete process.env.SHUFFLENET_DEVICE;
  else process.env.SHUFFLENET_DEVICE = saved;
  harness?.close();
  if (root) removeDir(root);
});

/** Starts a run with `device` and waits for its end (one run at a time: the first run to end is it). */
async function trainOn(device: 'cpu' | 'cuda') {
  const done = harness.next('training.status', (p: Payload<'training.status'>) => hasEnded(p.run.status), 240_000);
  const run = await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, runtime: 'onnx', device }, name: device });
  const final = (await done).run;
  expect(final.id).toBe(run.id);
  return final;
}

const status = onnxRuntimeStatus();
const cudaMayRun = status.available && status.cudaInstalled;

describe.skipIf(skip)('the training device through the services', () => {
  it('a run on the cpu trains there and keeps device cpu in its config', async () => {
    const final = await trainOn('cpu');
    expect([final.status, final.error]).toEqual(['completed', null]);
    expect(final.backend).toMatch(/^onnxruntime-node \S+ \(cpu/);
    expect(final.config.device).toBe('cpu');
  });

  it.skipIf(cudaMayRun)('a run on CUDA where it cannot run fails with why, not on the cpu', async () => {
    const final = await trainOn('cuda');
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(/device "cuda" was asked for but cannot run here/);
  });
});
