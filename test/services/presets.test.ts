import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../src-main/engine/jobs/train';
import type { TrainConfig, TrainEvent } from '../../src-main/engine/types';
import { PRESETS } from '../../src-main/services/presets';

/**
 * Each preset trains to a sane start on a slice of its intended data, with the preset's own lr,
 * batch and optimizer: no divergence, finite losses, and a loss that falls. "CIFAR-10, 15 epochs"
 * runs its first steps as on the full data (its warm-up stretched to the same number of steps, or
 * a slice would reach lr 0.2 in ten steps instead of 391); its full run is measured in
 * docs/results.md. "MindSpore tutorial" (2.0x at 224 px) is not run here: a step takes minutes on a CPU.
 */
const CIFAR = path.resolve(__dirname, '../../../shared/datasets/cifar10/cifar-10-batches-bin');
const FOLDER = path.resolve(__dirname, '../../../shared/datasets/folder-sample');

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'presets-'));
  process.env.SHUFFLENET_CACHE_DIR = path.join(root, 'cache');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const preset = (id: string) => PRESETS.find((p) => p.id === id)!.config as unknown as TrainConfig;

async function trainSlice(id: string, dataset: string, overrides: Partial<TrainConfig>) {
  const events: TrainEvent[] = [];
  const done = await train({ ...preset(id), ...overrides, dataset, outDir: path.join(root, id) }, { onEvent: (e) => events.push(e) });
  const batches = events.filter((e) => e.type === 'batch');
  const epochs = events.filter((e) => e.type === 'epoch');
  return { done, firstLoss: batches[0].loss, epochs };
}

describe('presets on their intended data', () => {
  it.skipIf(!existsSync(CIFAR))('Fast CIFAR learns on 640 CIFAR-10 images without diverging', async () => {
    const { done, firstLoss, epochs } = await trainSlice('fast-cifar', CIFAR, { limit: 640 });
    expect(done.status).toBe('completed');
    for (const e of epochs) expect(Number.isFinite(e.trainLoss)).toBe(true);
    expect(epochs.at(-1)!.trainLoss).toBeLessThan(firstLoss);
  }, 180_000);

  it.skipIf(!existsSync(CIFAR))('CIFAR-10, 15 epochs: its first 20 steps on CIFAR-10 stay near chance, not diverging', async () => {
    const full = preset('cifar10-15-epochs');
    // The full run's warm-up is linear from 0 over 391 steps (an epoch of batch 128): its first 20
    // steps climb to lr x 20/391. A one-epoch slice of 20 steps warming up to that rate takes the
    // same steps (a slice with the preset's own warm-up would reach lr 0.2 in 20 steps and diverge).
    const steps = 20;
    const stepsPerEpoch = Math.ceil(50_000 / full.batchSize);
    const { done, epochs } = await trainSlice('cifar10-15-epochs', CIFAR, { limit: steps * full.batchSize, epochs: 1, warmupEpochs: 1, lr: (full.lr * steps) / stepsPerEpoch });
    expect(done.status).toBe('completed');
    expect(Number.isFinite(epochs[0].trainLoss)).toBe(true);
    // Measured 2.63 (ln 10 = 2.30 is chance; with label smoothing 0.1 the floor is higher). Issue 18's
    // early-warm-up climb keeps it from falling reliably in 20 steps, so the check is "near chance".
    expect(epochs[0].trainLoss).toBeLessThan(Math.log(10) + 1);
  }, 300_000);

  it.skipIf(!existsSync(FOLDER))('Small image folder learns on folder-sample without diverging', async () => {
    const { done, firstLoss, epochs } = await trainSlice('small-folder', FOLDER, { epochs: 8 });
    expect(done.status).toBe('completed');
    for (const e of epochs) expect(Number.isFinite(e.trainLoss)).toBe(true);
    expect(epochs.at(-1)!.trainLoss).toBeLessThan(firstLoss);
  }, 180_000);
});
