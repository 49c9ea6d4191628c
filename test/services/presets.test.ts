import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../src-main/engine/train/train';
import type { TrainConfig, TrainEvent } from '../../src-main/engine/types';
import { PRESETS } from '../../src-main/services/presets';

/**
 * Each light preset trains to a sane start on a slice of its intended data, with the preset's own
 * lr, batch and optimizer: no divergence, finite losses, and a loss that falls. The heavy presets
 * (2.0x at 224 px, 1.0x on all of CIFAR-10) are measured in docs/results.md instead.
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

  it.skipIf(!existsSync(FOLDER))('Small image folder learns on folder-sample without diverging', async () => {
    const { done, firstLoss, epochs } = await trainSlice('small-folder', FOLDER, { epochs: 8 });
    expect(done.status).toBe('completed');
    for (const e of epochs) expect(Number.isFinite(e.trainLoss)).toBe(true);
    expect(epochs.at(-1)!.trainLoss).toBeLessThan(firstLoss);
  }, 180_000);
});
