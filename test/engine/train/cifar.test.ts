import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../../src-main/engine/jobs/evaluate';
import { defaultTrainConfig, train } from '../../../src-main/engine/jobs/train';
import type { TrainEvent } from '../../../src-main/engine/types';
import { sharedDatasets } from '../data/fixtures';

const shared = sharedDatasets();
const cifar = shared ? path.join(shared, 'cifar10') : null;
let root: string;

beforeAll(async () => {
  process.env.SHUFFLENET_BACKEND = 'wasm';
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-cifar-train-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.skipIf(!cifar)('training on the real CIFAR-10 (../shared/datasets/cifar10)', () => {
  it('trains on a slice, validates on the test split and evaluates it', async () => {
    const before = tf.memory().numTensors;
    const events: TrainEvent[] = [];
    const outDir = path.join(root, 'run');
    const done = await train(
      defaultTrainConfig({ dataset: cifar!, outDir, scale: 0.25, groups: 1, epochs: 1, batchSize: 64, limit: 256, lr: 0.01, warmupEpochs: 0 }),
      { onEvent: (e) => events.push(e) },
    );
    expect(done.status).toBe('completed');
    expect(events[0]).toMatchObject({ type: 'start', trainCount: 256, validationCount: 64, stepsPerEpoch: 4 });
    const result = await evaluate({ run: outDir, dataset: cifar!, limit: 100 });
    expect(result.count).toBe(100);
    expect(result.classes[0]).toBe('airplane');
    expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(100);
    expect(result.top5).toBeGreaterThanOrEqual(result.top1);
    expect(tf.memory().numTensors).toBe(before);
  });
});

if (!cifar) console.warn('skipping CIFAR-10 training test: set SHUFFLENET_DATASETS or provide ../shared/datasets/cifar10');
