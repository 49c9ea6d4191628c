import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import { MomentumSgd } from '../../../src-main/engine/step/sgd';
import { trainStep, type StepContext } from '../../../src-main/engine/train/train-step';
import type { Preprocessing } from '../../../src-main/engine/types';

const prep: Preprocessing = { storeSize: 8, inputSize: 8, fit: 'cover', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Conv + dense without batch-norm, so micro-batching must not change the update at all. */
function plainModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input);
  const pooled = tf.layers.globalAveragePooling2d({}).apply(conv);
  const out = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function context(model: tf.LayersModel, microBatchSize: number): StepContext {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sgd = new MomentumSgd(
    model.trainableWeights.map((w, i) => ({ name: w.originalName, variable: variables[i] })),
    { momentum: 0.9, weightDecay: 4e-5 },
  );
  return { model, variables, sgd, prep, labelSmoothing: 0.1, microBatchSize };
}

const n = 7;
const pixels = Uint8Array.from({ length: n * 8 * 8 * 3 }, (_, i) => (i * 97 + 13) % 256);
const labels = Int32Array.from({ length: n }, (_, i) => i % 3);

describe('trainStep', () => {
  it('accumulating micro-batches gives the same update as one batch', async () => {
    const whole = plainModel();
    const split = plainModel();
    const a = context(whole, n);
    const b = context(split, 3);
    const initial = whole.getWeights().map((w) => w.dataSync().slice());
    for (const lr of [0.5, 0.3]) {
      const ra = await trainStep(a, pixels, labels, lr);
      const rb = await trainStep(b, pixels, labels, lr);
      expect(rb.lossSum).toBeCloseTo(ra.lossSum, 4);
      expect(rb.correct).toBe(ra.correct);
      expect(rb.count).toBe(n);
    }
    const wa = whole.getWeights().map((w) => w.dataSync());
    const wb = split.getWeights().map((w) => w.dataSync());
    let moved = 0;
    wa.forEach((w, i) =>
      w.forEach((v, k) => {
        expect(wb[i][k]).toBeCloseTo(v, 5);
        moved = Math.max(moved, Math.abs(v - initial[i][k]));
      }),
    );
    expect(moved).toBeGreaterThan(1e-3);
    [a, b].forEach((c) => c.sgd.dispose());
    whole.dispose();
    split.dispose();
  });

  it('trains ShuffleNet in training mode: batch-norm moving statistics move, nothing leaks', async () => {
    const model = buildShuffleNetV1({ scale: 0.25, groups: 2, numClasses: 3, stem: 'cifar', inputSize: 8 });
    const ctx = context(model, 4);
    const movingMean = () => model.getLayer('stem.bn').getWeights()[2].dataSync().slice();
    const gamma = () => model.getLayer('stem.bn').getWeights()[0].dataSync().slice();
    const [mean0, gamma0] = [movingMean(), gamma()];
    await trainStep(ctx, pixels, labels, 0.1); // warm the backend's caches before counting
    const before = tf.memory().numTensors;
    const result = await trainStep(ctx, pixels, labels, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    expect(result.lossSum / n).toBeGreaterThan(0);
    expect(Math.max(...movingMean().map((v, i) => Math.abs(v - mean0[i])))).toBeGreaterThan(1e-4);
    expect(Math.max(...gamma().map((v, i) => Math.abs(v - gamma0[i])))).toBeGreaterThan(0);
    expect(ctx.sgd.step).toBe(2);
    ctx.sgd.dispose();
    model.dispose();
  });
});
