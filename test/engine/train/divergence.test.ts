import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxRuntimeStatus } from '../../../src-main/engine/onnx/onnx-runtime';
import { checkDivergence, divergenceThreshold, suggestedLearningRate } from '../../../src-main/engine/train/divergence';
import { defaultTrainConfig, train } from '../../../src-main/engine/jobs/train';
import type { TrainEvent } from '../../../src-main/engine/types';
import { makeImageFolder } from '../../fixtures/image-folder';

describe('the divergence rule', () => {
  it('judges the first epoch against chance and later ones against the first', () => {
    expect(divergenceThreshold(10, null)).toBeCloseTo(3 * Math.log(10), 10);
    // A first epoch below chance still leaves room: never under 4 nats above chance.
    expect(divergenceThreshold(10, 1.2)).toBeCloseTo(Math.log(10) + 4, 10);
    expect(divergenceThreshold(10, 4.38)).toBeCloseTo(3 * 4.38, 10);
    // Few classes: at least 4 nats above chance.
    expect(divergenceThreshold(3, null)).toBeCloseTo(Math.log(3) + 4, 10);
    expect(suggestedLearningRate(0.05)).toBe(0.01);
    expect(suggestedLearningRate(50)).toBe(10);
  });

  it('stops at once on a non-finite loss, and on a runaway mean only at the end of an epoch', () => {
    const base = { epoch: 1, stepsPerEpoch: 100, threshold: 6.9, lr: 0.05 };
    expect(checkDivergence({ ...base, step: 1, stepLoss: Number.NaN, runningLoss: Number.NaN })?.reason).toMatch(/NaN at step 1/);
    expect(checkDivergence({ ...base, step: 2, stepLoss: Infinity, runningLoss: Infinity })).not.toBeNull();
    // A spike within an epoch may recover (the 1.0x warm-up does): only the epoch's mean counts.
    expect(checkDivergence({ ...base, step: 99, stepLoss: 30, runningLoss: 9 })).toBeNull();
    const d = checkDivergence({ ...base, step: 100, stepLoss: 30, runningLoss: 9 });
    expect(d).toMatchObject({ epoch: 1, step: 100, loss: 9 });
    expect(d?.remedy).toBe('lower the learning rate (try 0.01 instead of 0.05)');
    expect(checkDivergence({ ...base, step: 100, stepLoss: 3, runningLoss: 6.8 })).toBeNull();
  });
});

let root: string;
let dataset: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-diverge-'));
  process.env.SHUFFLENET_BACKEND = 'wasm';
  process.env.SHUFFLENET_CACHE_DIR = path.join(root, 'cache');
  dataset = path.join(root, 'data');
  await makeImageFolder(dataset, { perClass: 10, size: 16 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const onnx = onnxRuntimeStatus();

describe('a run at an absurd learning rate', () => {
  it.each([
    { runtime: 'tfjs' as const, skip: false },
    { runtime: 'onnx' as const, skip: !onnx.available },
  ])(
    'ends as diverged with a remedy and saves no diverged weights ($runtime)',
    async ({ runtime, skip }) => {
      if (skip) return console.warn(`Skipping the ONNX Runtime divergence run: ${onnx.available ? '' : onnx.reason}`);
      const outDir = path.join(root, `run-${runtime}`);
      const events: TrainEvent[] = [];
      const config = defaultTrainConfig({
        dataset,
        outDir,
        scale: 0.25,
        groups: 2,
        stem: 'cifar',
        inputSize: 16,
        epochs: 4,
        batchSize: 8,
        lr: 50,
        warmupEpochs: 0,
        augment: false,
        runtime,
      });
      const done = await train(config, { onEvent: (e) => events.push(e) });
      expect(done.status).toBe('diverged');
      expect(done.divergence?.remedy).toBe('lower the learning rate (try 10 instead of 50)');
      expect(done.divergence?.epoch).toBe(done.epochsCompleted + 1);
      // It stopped where it diverged: no later epoch ran, and no checkpoint holds that point.
      expect(done.epochsCompleted).toBeLessThan(4);
      expect(events.at(-1)).toEqual(done);
      if (done.epochsCompleted === 0) expect(existsSync(path.join(outDir, 'checkpoints'))).toBe(false);
    },
    120_000,
  );

  it('a sane learning rate on the same data completes', async () => {
    const done = await train(
      defaultTrainConfig({
        dataset,
        outDir: path.join(root, 'sane'),
        scale: 0.25,
        groups: 2,
        stem: 'cifar',
        inputSize: 16,
        epochs: 2,
        batchSize: 8,
        lr: 0.05,
        warmupEpochs: 0,
        augment: false,
        runtime: 'tfjs',
      }),
    );
    expect(done.status).toBe('completed');
  }, 120_000);
});
