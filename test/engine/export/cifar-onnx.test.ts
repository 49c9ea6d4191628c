import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { loadDataset } from '../../../src-main/engine/data/load-dataset';
import { evaluate } from '../../../src-main/engine/jobs/evaluate';
import { exportOnnx } from '../../../src-main/engine/export/onnx';
import { pixelsToNchw } from '../../../src-main/engine/runtime/nchw';
import { createOnnxSession, runOnnx } from '../../../src-main/engine/onnx/onnx-runtime';
import { logitsForPixels } from '../../../src-main/engine/model/inference';
import { toModelInput } from '../../../src-main/engine/data/preprocess';
import type { LoadedDataset, Preprocessing } from '../../../src-main/engine/types';
import { calibrateBatchNorms, onnxSkipReason, sharedDatasets, writeCheckpoint } from './checkpoint-fixture';

const shared = sharedDatasets();
const cifarDir = shared ? path.join(shared, 'cifar10', 'cifar-10-batches-bin') : null;
const skip =
  !cifarDir || !existsSync(path.join(cifarDir, 'test_batch.bin'))
    ? 'CIFAR-10 not found in ../shared/datasets (set SHUFFLENET_DATASETS); skipping the real-image ONNX check'
    : onnxSkipReason();
if (skip) console.warn(skip);

const COUNT = 256;
let root: string;

beforeAll(async () => {
  // wasm: the same numbers as cpu within float rounding, ten times sooner on 256 real images.
  await initBackend({ prefer: 'wasm' });
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-onnx-cifar-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Stands in for a few training steps: the classifier becomes a nearest-class-mean rule on the
 * pooled features of the given images (kernel column k = mean feature of class k minus the mean
 * of all, bias -(mean . column + |column|^2 / 2)), so the model predicts many classes and agreement means something.
 */
function fitNearestClassMean(model: tf.LayersModel, pixels: Uint8Array, labels: Int32Array, prep: Preprocessing): void {
  const classifier = model.getLayer('classifier');
  tf.tidy(() => {
    const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('pool').output as tf.SymbolicTensor });
    const x = toModelInput(tf.tensor4d(Float32Array.from(pixels), [labels.length, 32, 32, 3]), prep);
    const f = features.predict(x) as tf.Tensor2D;
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat();
    const means = tf.matMul(onehot, f, true).div(onehot.sum(0).expandDims(1).maximum(1));
    const mu = f.mean(0);
    const kernel = means.sub(mu).transpose();
    // score_k = (f - mu) . w_k - |w_k|^2 / 2
    classifier.setWeights([kernel, tf.matMul(mu.expandDims(0), kernel).squeeze().add(kernel.square().sum(0).mul(0.5)).neg()]);
  });
}

function argmaxRows(logits: Float32Array, classes: number): { top: number[]; margin: number[] } {
  const top: number[] = [];
  const margin: number[] = [];
  for (let r = 0; r < logits.length / classes; r++) {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const order = row.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0]);
    top.push(order[0][1]);
    margin.push(order[0][0] - order[1][0]);
  }
  return { top, margin };
}

describe.skipIf(skip)('ONNX export on real CIFAR-10 test images', () => {
  it(`predicts the same classes as the tfjs model on the first ${COUNT} test images`, async () => {
    const data: LoadedDataset = await loadDataset(cifarDir!);
    const train = data.splits.train;
    const first = Array.from({ length: COUNT }, (_, i) => i);
    const trainPixels = await train.readPixels(first);
    const { dir, model, manifest } = await writeCheckpoint(
      path.join(root, 'run'),
      { scale: 0.5, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 32 },
      {
        classes: data.classes,
        prep: { storeSize: 32 },
        prepare: (m, prep) => {
          calibrateBatchNorms(m, trainPixels, COUNT, prep);
          fitNearestClassMean(m, trainPixels, train.labels.subarray(0, COUNT), prep);
        },
      },
    );
    const file = path.join(root, 'model.onnx');
    await exportOnnx(dir, file);

    const pixels = await data.splits.test.readPixels(first);
    const prep = manifest.preprocessing;
    const expected = await logitsForPixels(model, pixels, COUNT, prep);
    model.dispose();
    const session = await createOnnxSession(file);
    const actual = await runOnnx(session, await pixelsToNchw(pixels, COUNT, prep), [COUNT, 3, 32, 32]);
    await session.release();

    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < expected.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(actual[i] - expected[i]));
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
    }
    expect(maxAbs / maxRef).toBeLessThan(1e-4);
    const tfjs = argmaxRows(expected, 10);
    const onnx = argmaxRows(actual, 10);
    // Only an exact tie within rounding could excuse a different class; none may differ otherwise.
    const differing = tfjs.top.filter((k, r) => k !== onnx.top[r] && tfjs.margin[r] > 1e-4 * maxRef);
    expect(differing).toEqual([]);
    expect(onnx.top.filter((k, r) => k === tfjs.top[r]).length).toBeGreaterThanOrEqual(COUNT - 1);
    // The calibrated model spreads its predictions over several classes, so agreement means something.
    expect(new Set(tfjs.top).size).toBeGreaterThan(4);

    const [viaOnnx, viaTfjs] = [
      await evaluate({ run: dir, dataset: cifarDir!, split: 'test', limit: COUNT, batchSize: 128, runtime: 'onnx' }),
      await evaluate({ run: dir, dataset: cifarDir!, split: 'test', limit: COUNT, batchSize: 128, runtime: 'tfjs' }),
    ];
    expect(viaOnnx.count).toBe(COUNT);
    expect(viaOnnx.confusion).toEqual(viaTfjs.confusion);
  });
});
