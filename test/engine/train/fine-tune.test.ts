import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxRuntimeStatus } from '../../../src-main/engine/onnx/onnx-runtime';
import { loadCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import { isHeadWeight } from '../../../src-main/engine/step/fine-tune';
import { withSeededRandom } from '../../../src-main/engine/train/seeded-init';
import { defaultTrainConfig, train } from '../../../src-main/engine/jobs/train';
import type { TrainConfig } from '../../../src-main/engine/types';
import { makeImageFolder } from '../../fixtures/image-folder';

let root: string;
/** A source run trained on three classes, and a folder of two other classes to fine-tune it on. */
let source: string;
let folder: string;

function config(outDir: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return defaultTrainConfig({
    dataset: folder,
    outDir,
    scale: 0.25,
    groups: 2,
    stem: 'cifar',
    inputSize: 16,
    epochs: 3,
    batchSize: 8,
    microBatchSize: 4,
    // 0.03 diverged in the head-only epoch: the 3-step source's features are large and raw.
    lr: 0.005,
    warmupEpochs: 0,
    keepCheckpoints: 5,
    seed: 5,
    init: source,
    ...overrides,
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-fine-tune-'));
  process.env.SHUFFLENET_BACKEND = 'wasm';
  process.env.SHUFFLENET_CACHE_DIR = path.join(root, 'cache');
  const sourceData = path.join(root, 'source-data');
  await makeImageFolder(sourceData, { perClass: 8, size: 16 });
  source = path.join(root, 'source');
  const done = await train(
    defaultTrainConfig({
      dataset: sourceData,
      outDir: source,
      scale: 0.25,
      groups: 2,
      stem: 'cifar',
      inputSize: 16,
      epochs: 1,
      batchSize: 8,
      lr: 0.03,
      warmupEpochs: 0,
      runtime: 'tfjs',
    }),
  );
  expect(done.status).toBe('completed');
  // 2 classes x 10: 16 training images (2 steps of 8) and 4 validation images.
  folder = path.join(root, 'folder');
  await makeImageFolder(folder, { classes: ['dots', 'lines'], perClass: 10, size: 16 });
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every weight of a checkpoint by name, moving statistics included. */
async function weightsByName(dir: string): Promise<Map<string, Float32Array>> {
  const { model } = await loadCheckpoint(dir);
  const out = new Map(model.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]));
  model.dispose();
  return out;
}

const checkpoint = (run: string, name: string) => path.join(run, 'checkpoints', name);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k] - b[k]));
  return max;
}

const onnx = onnxRuntimeStatus();
if (!onnx.available) console.warn(`Skipping the fine-tuning runs on ONNX Runtime: ${onnx.reason}`);
const runtimes = ['tfjs', ...(onnx.available ? ['onnx' as const] : [])] as ('tfjs' | 'onnx')[];

describe('fine-tuning options', () => {
  it.each(runtimes)('on %s, the head-only epochs leave every backbone number as the source has it, then the backbone trains', async (runtime) => {
    const run = path.join(root, `head-only-${runtime}`);
    const done = await train(config(run, { runtime, epochs: 2, headOnlyEpochs: 1 }));
    expect(done).toMatchObject({ status: 'completed', epochsCompleted: 2 });
    const before = await weightsByName(await latestOf(source));
    const afterProbe = await weightsByName(checkpoint(run, 'epoch-0001'));
    const afterAll = await weightsByName(checkpoint(run, 'epoch-0002'));
    let backbone = 0;
    for (const [name, values] of afterProbe) {
      if (name.startsWith('classifier/')) continue;
      // Weights and batch-norm moving statistics alike: bit for bit.
      expect(Array.from(values), name).toEqual(Array.from(before.get(name)!));
      backbone++;
    }
    expect(backbone).toBeGreaterThan(20);
    // The new head (two classes) learned in the first epoch: it left the fresh initialisation of the run's seed.
    const fresh = withSeededRandom(5, () => buildShuffleNetV1({ scale: 0.25, groups: 2, stem: 'cifar', inputSize: 16, numClasses: 2 }));
    const freshKernel = Float32Array.from(fresh.getLayer('classifier').getWeights()[0].dataSync() as Float32Array);
    fresh.dispose();
    expect(maxAbsDiff(afterProbe.get('classifier/kernel')!, freshKernel)).toBeGreaterThan(1e-4);
    // The backbone, weights and statistics, in the second.
    expect(maxAbsDiff(afterAll.get('stage2.unit1.pw1/kernel')!, before.get('stage2.unit1.pw1/kernel')!)).toBeGreaterThan(1e-6);
    expect(maxAbsDiff(afterAll.get('stem.bn/moving_mean')!, before.get('stem.bn/moving_mean')!)).toBeGreaterThan(1e-6);
  });

  it.each(runtimes)('on %s, a backbone rate scale of 0.1 moves the backbone a tenth as far on the first step, and the head as far', async (runtime) => {
    const firstStep = async (backboneLrScale: number) => {
      const run = path.join(root, `scale-${backboneLrScale}-${runtime}`);
      // One step: 8 images, batch 8, one epoch.
      // At 0.05, so that each step is large beside the float32 rounding of the weights it moves.
      const done = await train(config(run, { runtime, epochs: 1, limit: 8, lr: 0.05, backboneLrScale }));
      expect(done.status).toBe('completed');
      return weightsByName(checkpoint(run, 'epoch-0001'));
    };
    const start = await weightsByName(await latestOf(source));
    const full = await firstStep(1);
    const tenth = await firstStep(0.1);
    const moved = (after: Map<string, Float32Array>, name: string) => {
      const from = start.get(name)!;
      return Float32Array.from(after.get(name)!, (v, k) => v - from[k]);
    };
    const squares = (v: Float32Array) => v.reduce((sum, x) => sum + x * x, 0);
    let checked = 0;
    let all1 = 0;
    let all01 = 0;
    for (const name of full.keys()) {
      if (name.includes('moving_') || isHeadWeight(name)) continue;
      const norm1 = squares(moved(full, name));
      const norm01 = squares(moved(tenth, name));
      all1 += norm1;
      all01 += norm01;
      // A step under a thousandth of the weight is mostly the rounding of its float32 result (a gamma near 1).
      if (Math.sqrt(norm1) < 1e-3 * Math.sqrt(squares(start.get(name)!))) continue;
      expect(Math.sqrt(norm01 / norm1), name).toBeCloseTo(0.1, 2);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
    expect(Math.sqrt(all01 / all1)).toBeCloseTo(0.1, 3);
    // The new head starts the same (same seed) and moves at the full rate in both.
    for (const name of ['classifier/kernel', 'classifier/bias']) expect(maxAbsDiff(full.get(name)!, tenth.get(name)!), name).toBeLessThan(1e-6);
  });

  it.each(runtimes)('on %s, a head rate scale of 0.1 moves the head a tenth as far on the first step, and the backbone as far', async (runtime) => {
    const firstStep = async (headLrScale: number | undefined) => {
      const run = path.join(root, `head-scale-${headLrScale}-${runtime}`);
      const done = await train(config(run, { runtime, epochs: 1, limit: 8, lr: 0.05, ...(headLrScale === undefined ? {} : { headLrScale }) }));
      expect(done.status).toBe('completed');
      return weightsByName(checkpoint(run, 'epoch-0001'));
    };
    // Both runs start from the same source and seed, so their new heads start equal: fresh is that start.
    const fresh = withSeededRandom(5, () => buildShuffleNetV1({ scale: 0.25, groups: 2, stem: 'cifar', inputSize: 16, numClasses: 2 }));
    const headStart = new Map(
      fresh
        .getLayer('classifier')
        .getWeights()
        .map((w, i) => [i === 0 ? 'classifier/kernel' : 'classifier/bias', Float32Array.from(w.dataSync() as Float32Array)]),
    );
    fresh.dispose();
    const full = await firstStep(undefined);
    const tenth = await firstStep(0.1);
    const norm = (after: Map<string, Float32Array>, name: string, from: Float32Array) =>
      Math.sqrt(after.get(name)!.reduce((sum, v, k) => sum + (v - from[k]) ** 2, 0));
    for (const name of ['classifier/kernel', 'classifier/bias']) {
      expect(norm(tenth, name, headStart.get(name)!) / norm(full, name, headStart.get(name)!), name).toBeCloseTo(0.1, 3);
    }
    // The first step's backbone gradients do not depend on the head's rate: the step is the same.
    for (const name of ['stage2.unit1.pw1/kernel', 'stem.conv/kernel']) expect(maxAbsDiff(full.get(name)!, tenth.get(name)!), name).toBeLessThan(1e-6);
  });

  it.each(runtimes)('on %s, a run stopped inside the head-only phase and inside the full phase resumes to the uninterrupted run', async (runtime) => {
    const tensors = tf.memory().numTensors;
    const options = { runtime, epochs: 3, headOnlyEpochs: 2, backboneLrScale: 0.3 };
    const straightDir = path.join(root, `straight-${runtime}`);
    const straight = await train(config(straightDir, options));
    expect(straight.status).toBe('completed');

    const brokenDir = path.join(root, `broken-${runtime}`);
    const stopAt = (epoch: number, step: number) => {
      const controller = new AbortController();
      return {
        signal: controller.signal,
        onEvent: (e: { type: string; epoch?: number; step?: number }) => e.type === 'batch' && e.epoch === epoch && e.step === step && controller.abort(),
      };
    };
    const first = await train(config(brokenDir, options), stopAt(1, 1));
    expect(path.basename(first.checkpoint ?? '')).toBe('epoch-0000-step-000001');
    const second = await train(config(brokenDir, options), { resume: true, ...stopAt(3, 1) });
    expect(path.basename(second.checkpoint ?? '')).toBe('epoch-0002-step-000001');
    const finished = await train(config(brokenDir, options), { resume: true });
    expect(finished).toMatchObject({ status: 'completed', epochsCompleted: 3 });

    const a = await weightsByName(straight.checkpoint!);
    const b = await weightsByName(finished.checkpoint!);
    for (const [name, values] of a) expect(maxAbsDiff(values, b.get(name)!), name).toBeLessThan(1e-5);
    // The head-only epochs' checkpoints match too, and kept the backbone.
    const probeA = await weightsByName(checkpoint(straightDir, 'epoch-0002'));
    const probeB = await weightsByName(checkpoint(brokenDir, 'epoch-0002'));
    for (const [name, values] of probeA) expect(maxAbsDiff(values, probeB.get(name)!), name).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses options that cannot work, in one line each', async () => {
    const dir = (name: string) => path.join(root, `bad-${name}`);
    await expect(train(config(dir('scratch'), { init: undefined, headOnlyEpochs: 1 }))).rejects.toThrow(
      'headOnlyEpochs 1 trains the head of a model started from another: set init (pretrained or a run folder), or leave it at 0',
    );
    await expect(train(config(dir('scratch-lr'), { init: 'scratch', backboneLrScale: 0.5 }))).rejects.toThrow(
      /^backboneLrScale 0.5 slows the backbone of a model started from another/,
    );
    await expect(train(config(dir('long'), { headOnlyEpochs: 4 }))).rejects.toThrow('headOnlyEpochs must be a whole number from 0 to epochs (3), got 4');
    for (const scale of [0, 1.5, Number.NaN]) {
      await expect(train(config(dir(`scale-${scale}`), { backboneLrScale: scale }))).rejects.toThrow(
        `backboneLrScale must be above 0 and at most 1, got ${scale}`,
      );
    }
    for (const scale of [0, 2]) {
      await expect(train(config(dir(`head-scale-${scale}`), { headLrScale: scale }))).rejects.toThrow(
        `headLrScale must be above 0 and at most 1, got ${scale}`,
      );
    }
  });
});

async function latestOf(run: string): Promise<string> {
  return (await loadCheckpoint(run).then((c) => (c.model.dispose(), c))).dir;
}
