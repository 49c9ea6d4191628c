import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { defaultPreprocessing } from '../../../src-main/engine/data/preprocess';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import { loadCheckpoint, writeCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint';
import { defaultTrainConfig } from '../../../src-main/engine/train/config';
import { logitsForPixels } from '../../../src-main/engine/model/inference';
import { MomentumSgd } from '../../../src-main/engine/step/sgd';
import { loadDataset } from '../../../src-main/engine/data/load-dataset';
import { copyWeightsByName } from '../../../src-main/engine/model/copy-weights';
import { linearProbe } from '../../../src-main/engine/transfer/linear-probe';
import { fitSoftmaxHead } from '../../../src-main/engine/transfer/softmax-head';
import type { CheckpointManifest, ModelConfig } from '../../../src-main/engine/types';
import { makeImageFolder } from '../../fixtures/image-folder';

let dir = '';
beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(path.join(tmpdir(), 'transfer-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const LAYER = 'stage2.unit1.pw1';
const ARCH: ModelConfig = { scale: 0.25, groups: 3, stem: 'cifar', inputSize: 32, numClasses: 10 };
const SOURCE_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** A source checkpoint as any run leaves it (untrained weights are enough to test the plumbing). */
async function writeSourceRun(runDir: string, classes: string[]): Promise<tf.LayersModel> {
  const model = buildShuffleNetV1({ ...ARCH, numClasses: classes.length });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sgd = new MomentumSgd(
    model.trainableWeights.map((w, i) => ({ name: w.originalName, variable: variables[i] })),
    { momentum: 0.9, weightDecay: 0 },
  );
  const config = defaultTrainConfig({ dataset: 'none', outDir: runDir, scale: 0.25, epochs: 1 });
  const manifest: CheckpointManifest = {
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    epoch: 1,
    config,
    model: { ...ARCH, numClasses: classes.length },
    preprocessing: defaultPreprocessing({ format: 'image-folder', inputSize: 32 }),
    classes,
    metrics: [],
    backend: 'test',
  };
  const state = {
    formatVersion: 1 as const,
    epochsCompleted: 1,
    stepInEpoch: 0,
    stepsPerEpoch: 1,
    trainCount: 1,
    partialLossSum: 0,
    partialCorrect: 0,
    partialSeen: 0,
    bestValAccuracy: 0,
    elapsedSec: 0,
  };
  await writeCheckpoint(runDir, { model, manifest, optimizer: await sgd.getState(), state });
  sgd.dispose();
  return model;
}

describe('fitSoftmaxHead', () => {
  it('separates two Gaussian clouds and returns a head in the raw feature space', () => {
    const n = 200;
    const width = 5;
    const features = new Float32Array(n * width);
    const labels = new Int32Array(n);
    let seed = 1;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      // Feature 0 carries the class, offset and scaled so the fit's standardisation must be undone.
      features[i * width] = 100 + (labels[i] ? 3 : -3) * 10 + rand() * 10;
      for (let j = 1; j < width; j++) features[i * width + j] = rand();
    }
    const head = fitSoftmaxHead(features, labels, { classes: 2 });
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const z = [0, 1].map(
        (k) => head.bias[k] + Array.from({ length: width }, (_, j) => features[i * width + j] * head.kernel[j * 2 + k]).reduce((a, b) => a + b),
      );
      if ((z[1] > z[0] ? 1 : 0) === labels[i]) correct++;
    }
    expect(correct / n).toBeGreaterThan(0.95);
  });

  it('with a prior, a strong pull keeps the known row where the prior has it, and the unknown row is fitted', () => {
    // Two features, both informative; the prior's class 0 row uses feature 1 only, so a fit pulled
    // hard to it keeps feature 0's weight near 0 where a free fit would use both.
    const n = 120;
    const features = new Float32Array(n * 2);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      const sign = labels[i] ? -1 : 1;
      features[i * 2] = sign * 2 + Math.sin(i) * 0.5;
      features[i * 2 + 1] = sign * 2 + Math.cos(i) * 0.5;
    }
    const prior = { kernel: Float32Array.from([0, 0, 1.5, 0]), bias: Float32Array.from([0, 0]), known: [true, false] };
    const pulled = fitSoftmaxHead(features, labels, { classes: 2, l2Grid: [100], prior });
    expect(pulled.kernel[0]).toBeCloseTo(0, 1); // feature 0 -> class 0 stays at the prior's 0
    expect(pulled.kernel[2]).toBeCloseTo(1.5, 1); // feature 1 -> class 0 stays at the prior's 1.5
    const free = fitSoftmaxHead(features, labels, { classes: 2, l2Grid: [1e-3] });
    expect(Math.abs(free.kernel[0])).toBeGreaterThan(0.5);
  });
});

describe('copyWeightsByName', () => {
  it('keeps the fresh head when the classes differ and refuses another architecture in one line', async () => {
    const source = buildShuffleNetV1({ ...ARCH, numClasses: 10 });
    const target = buildShuffleNetV1({ ...ARCH, numClasses: 3 });
    const report = copyWeightsByName(source, target, { source: SOURCE_CLASSES, target: ['x', 'y', 'z'] });
    expect(report.fresh).toEqual(['classifier']);
    const a = await source.getLayer(LAYER).getWeights()[0].data();
    const b = await target.getLayer(LAYER).getWeights()[0].data();
    expect(Array.from(b)).toEqual(Array.from(a));
    const wider = buildShuffleNetV1({ ...ARCH, scale: 0.5, numClasses: 3 });
    expect(() => copyWeightsByName(source, wider, { source: SOURCE_CLASSES, target: ['x', 'y', 'z'] })).toThrow(
      /cannot start from that model: its layer \S+ has weights \[.*\] where this model needs/,
    );
    for (const m of [source, target, wider]) m.dispose();
  });

  it('starts the head rows of classes the source knows by name from the source, and the others fresh', () => {
    const source = buildShuffleNetV1({ ...ARCH, numClasses: 10 });
    const target = buildShuffleNetV1({ ...ARCH, numClasses: 3 });
    const freshKernel = target.getLayer('classifier').getWeights()[0].arraySync() as number[][];
    const report = copyWeightsByName(source, target, { source: SOURCE_CLASSES, target: ['Dogs', 'sunflower', 'car'] });
    expect(report.knownClasses).toEqual(['Dogs', 'car']);
    expect(report.fresh).toEqual([]);
    const [theirKernel, theirBias] = source
      .getLayer('classifier')
      .getWeights()
      .map((w) => w.arraySync()) as [number[][], number[]];
    const [kernel, bias] = target
      .getLayer('classifier')
      .getWeights()
      .map((w) => w.arraySync()) as [number[][], number[]];
    const column = (m: number[][], k: number) => m.map((row) => row[k]);
    expect(column(kernel, 0)).toEqual(column(theirKernel, 5)); // dog
    expect(column(kernel, 2)).toEqual(column(theirKernel, 1)); // automobile
    expect(column(kernel, 1)).toEqual(column(freshKernel, 1));
    expect([bias[0], bias[2]]).toEqual([theirBias[5], theirBias[1]]);
    for (const m of [source, target]) m.dispose();
  });
});

describe('linearProbe', () => {
  it('fits a head on a frozen backbone in seconds and leaves a run whose checkpoint predicts what was fitted', async () => {
    const data = path.join(dir, 'folder');
    await makeImageFolder(data, { perClass: 10, size: 32 });
    const source = path.join(dir, 'source-run');
    (
      await writeSourceRun(
        source,
        Array.from({ length: 10 }, (_, i) => `c${i}`),
      )
    ).dispose();
    const out = path.join(dir, 'probe-run');
    const result = await linearProbe({ dataset: data, outDir: out, from: source });
    expect(result.classes).toEqual(['circle', 'plain', 'stripes']);
    expect(result.trainCount + result.validationCount).toBe(30);
    // Random conv features still tell these colours apart.
    expect(result.valAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(result.elapsedSec).toBeLessThan(60);

    const { model, manifest } = await loadCheckpoint(out);
    expect(manifest.classes).toEqual(result.classes);
    expect(manifest.model).toMatchObject({ scale: 0.25, groups: 3, numClasses: 3 });
    const loaded = await loadDataset(data, { storeSize: 32, fit: 'cover', validationFraction: 0.2, seed: 0 });
    const val = loaded.splits.validation;
    const indices = Array.from({ length: val.count }, (_, i) => i);
    const logits = await logitsForPixels(model, await val.readPixels(indices), indices.length, manifest.preprocessing);
    let correct = 0;
    indices.forEach((i) => {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === val.labels[i]) correct++;
    });
    expect(correct / indices.length).toBeCloseTo(result.valAccuracy, 5);
    model.dispose();
  });
});
