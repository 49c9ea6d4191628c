import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../src-main/engine/data/load-dataset';
import { toModelInput } from '../../../src-main/engine/data/preprocess';
import { evaluate } from '../../../src-main/engine/jobs/evaluate';
import { saveModelToDir } from '../../../src-main/engine/model/file-io';
import { predictFolder } from '../../../src-main/engine/jobs/predict';
import { openLogitsRunner, requestedRuntime, type RuntimeInfo } from '../../../src-main/engine/runtime/logits-runner';
import { pixelsToNchw } from '../../../src-main/engine/runtime/nchw';
import { loadCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint';
import type { EvaluationResult, ModelConfig, PredictionItem, Preprocessing } from '../../../src-main/engine/types';
import { trainTinyRun } from '../train/run-fixture';
import { calibrateBatchNorms, onnxSkipReason, writeCheckpoint } from './checkpoint-fixture';

let root: string;
let fixture: Awaited<ReturnType<typeof trainTinyRun>>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-runtime-'));
  // A really trained run (3 classes of 16x16 images, 0.25x groups 2, two epochs), its dataset and cache.
  fixture = await trainTinyRun(root);
});

afterAll(async () => {
  delete process.env.SHUFFLENET_RUNTIME;
  await rm(root, { recursive: true, force: true });
});

function randomPixels(n: number, size: number): Uint8Array {
  return Uint8Array.from({ length: n * size * size * 3 }, (_, i) => (i * 7919 + 13) % 256);
}

describe('pixelsToNchw', () => {
  const prep: Preprocessing = { storeSize: 12, inputSize: 12, fit: 'cover', mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };

  for (const inputSize of [12, 17]) {
    it(`gives toModelInput's numbers in NCHW (${inputSize === 12 ? 'no resize' : 'bilinear resize 12 -> 17'})`, async () => {
      const p = { ...prep, inputSize };
      const pixels = randomPixels(3, 12);
      const before = tf.memory().numTensors;
      const actual = await pixelsToNchw(pixels, 3, p);
      expect(tf.memory().numTensors).toBe(before);
      const expected = tf.tidy(() =>
        toModelInput(tf.tensor4d(Float32Array.from(pixels), [3, 12, 12, 3]), p)
          .transpose([0, 3, 1, 2])
          .dataSync(),
      );
      expect(actual.length).toBe(3 * 3 * inputSize * inputSize);
      let maxErr = 0;
      for (let i = 0; i < actual.length; i++) maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
      expect(maxErr).toBeLessThan(1e-5);
    });
  }
});

describe('runtime choice', () => {
  it('takes the option, then SHUFFLENET_RUNTIME, then auto, and names a wrong value', () => {
    delete process.env.SHUFFLENET_RUNTIME;
    expect(requestedRuntime()).toBe('auto');
    process.env.SHUFFLENET_RUNTIME = 'tfjs';
    expect(requestedRuntime()).toBe('tfjs');
    expect(requestedRuntime('onnx')).toBe('onnx');
    process.env.SHUFFLENET_RUNTIME = 'torch';
    expect(() => requestedRuntime()).toThrow(/runtime must be one of auto, onnx, tfjs, got "torch"/);
    delete process.env.SHUFFLENET_RUNTIME;
  });
});

const skip = onnxSkipReason();
if (skip) console.warn(skip);

/** A checkpoint whose batch norms are calibrated on the folder's images, so its predictions vary by image. */
async function folderCheckpoint(name: string, config: ModelConfig, prep: Partial<Preprocessing>): Promise<string> {
  const storeSize = prep.storeSize ?? config.inputSize;
  const data = await loadDataset(fixture.dataset, { storeSize });
  const split = data.splits.train;
  const pixels = await split.readPixels(Array.from({ length: split.count }, (_, i) => i));
  const { dir, model } = await writeCheckpoint(path.join(root, name), config, {
    classes: fixture.classes,
    prep,
    prepare: (m, p) => calibrateBatchNorms(m, pixels, split.count, p),
  });
  model.dispose();
  return dir;
}

/** The trained run's checkpoint with its batch-norm statistics settled on its training images (two epochs leave them near their initial values). */
async function calibratedTrainedRun(): Promise<string> {
  const { model, manifest } = await loadCheckpoint(fixture.run);
  const prep = manifest.preprocessing;
  const data = await loadDataset(fixture.dataset, {
    storeSize: prep.storeSize,
    seed: manifest.config.seed,
    validationFraction: manifest.config.validationFraction,
  });
  const split = data.splits.train;
  calibrateBatchNorms(model, await split.readPixels(Array.from({ length: split.count }, (_, i) => i)), split.count, prep);
  const dir = path.join(root, 'trained-calibrated');
  await saveModelToDir(model, dir);
  model.dispose();
  // New weights: the trained checkpoint's checksums do not apply to them (undefined drops the field).
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, sha256: undefined }));
  return dir;
}

function expectSameEvaluation(onnx: EvaluationResult, tfjs: EvaluationResult): void {
  expect(onnx.runtime).toBe('onnx');
  expect(tfjs.runtime).toBe('tfjs');
  expect(onnx.count).toBe(tfjs.count);
  expect(onnx.confusion).toEqual(tfjs.confusion);
  expect(onnx.top1).toBe(tfjs.top1);
  expect(onnx.top5).toBe(tfjs.top5);
  // Relative: a barely trained model can have a loss in the hundreds.
  expect(Math.abs(onnx.loss - tfjs.loss)).toBeLessThan(1e-5 * Math.abs(tfjs.loss) + 1e-4);
  expect(onnx.misclassified.map((m) => m.id)).toEqual(tfjs.misclassified.map((m) => m.id));
  onnx.misclassified.forEach((m, i) => expect(m.probability).toBeCloseTo(tfjs.misclassified[i].probability, 4));
}

describe.skipIf(skip)('evaluate and predict on ONNX Runtime', () => {
  const cases: { name: string; run: () => Promise<string> }[] = [
    { name: 'a trained run', run: calibratedTrainedRun },
    {
      name: 'stored 16x16 resized to 20x20, imagenet stem, untrained with calibrated batch norms',
      run: () => folderCheckpoint('resized', { scale: 0.25, groups: 3, numClasses: 3, stem: 'imagenet', inputSize: 20 }, { storeSize: 16 }),
    },
  ];
  for (const c of cases) {
    it(`gives the same evaluation and predictions as tfjs (${c.name})`, async () => {
      const run = await c.run();
      const dataset = fixture.dataset;
      const seen: RuntimeInfo[] = [];
      const before = tf.memory().numTensors;
      const onnx = await evaluate({ run, dataset, split: 'train', batchSize: 5, runtime: 'onnx', onRuntime: (r) => seen.push(r) });
      expect(tf.memory().numTensors).toBe(before);
      const tfjs = await evaluate({ run, dataset, split: 'train', batchSize: 5, runtime: 'tfjs' });
      expectSameEvaluation(onnx, tfjs);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ runtime: 'onnx', detail: expect.stringMatching(/^onnxruntime-node \S+ \((cpu|cuda)\)$/) });
      if (c.name === 'a trained run') {
        // The trained model tells the classes apart, so the comparison covers more than one class.
        expect(onnx.confusion.map((_, k) => onnx.confusion.reduce((a, row) => a + row[k], 0)).filter((n) => n > 0).length).toBeGreaterThan(1);
      }

      const predictions: Record<string, PredictionItem[]> = { onnx: [], tfjs: [] };
      for (const runtime of ['onnx', 'tfjs'] as const) {
        const counts = await predictFolder({ run, folder: dataset, batchSize: 7, topK: 3, runtime, onItem: (item) => predictions[runtime].push(item) });
        expect(counts).toEqual({ predicted: 30, skipped: 0 });
      }
      const [a, b] = [predictions.onnx, predictions.tfjs];
      expect(a.map((i) => i.path)).toEqual(b.map((i) => i.path));
      a.forEach((item, i) => {
        const other = b[i];
        if (!('top' in item) || !('top' in other)) throw new Error('no image should be skipped');
        expect(item.top.map((t) => t.label)).toEqual(other.top.map((t) => t.label));
        item.top.forEach((t, k) => expect(t.probability).toBeCloseTo(other.top[k].probability, 4));
      });
    });
  }

  it('auto picks ONNX Runtime here; a checkpoint-less folder is a user error on every runtime', async () => {
    const runner = await openLogitsRunner(fixture.run);
    expect(runner.runtime).toBe('onnx');
    expect(runner.fallbackReason).toBeUndefined();
    await runner.dispose();
    const empty = path.join(root, 'empty');
    await mkdir(empty, { recursive: true });
    for (const runtime of ['auto', 'onnx', 'tfjs'] as const) {
      await expect(openLogitsRunner(empty, runtime)).rejects.toThrow(/holds no checkpoint/);
    }
  });
});
