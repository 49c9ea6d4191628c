import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src-main/engine/data/load-dataset';
import { toModelInput } from '../../src-main/engine/data/preprocess';
import { evaluate } from '../../src-main/engine/jobs/evaluate';
import { loadCheckpoint } from '../../src-main/engine/checkpoint/checkpoint';
import { makeImageFolder } from '../fixtures/image-folder';
import { trainTinyRun } from './train/run-fixture';

let root: string;
let fixture: Awaited<ReturnType<typeof trainTinyRun>>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-eval-'));
  fixture = await trainTinyRun(root);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('evaluate', () => {
  it('reports metrics that agree with a direct forward pass, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const result = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'train', batchSize: 5, onProgress: (done) => progress.push(done) });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.count).toBe(24);
    expect(progress).toEqual([5, 10, 15, 20, 24]);
    expect(result.classes).toEqual(fixture.classes);

    // Independent check: the same checkpoint and preprocessing, one forward pass over all samples.
    const { model, manifest } = await loadCheckpoint(fixture.run);
    const data = await loadDataset(fixture.dataset, { storeSize: 16, seed: manifest.config.seed, validationFraction: manifest.config.validationFraction });
    const split = data.splits.train;
    const indices = Array.from({ length: split.count }, (_, i) => i);
    const pixels = await split.readPixels(indices);
    const predicted = tf.tidy(() => {
      const x = toModelInput(tf.tensor4d(Float32Array.from(pixels), [split.count, 16, 16, 3]), manifest.preprocessing);
      return (model.predict(x) as tf.Tensor2D).argMax(1).arraySync() as number[];
    });
    model.dispose();
    const confusion = fixture.classes.map(() => fixture.classes.map(() => 0));
    indices.forEach((i) => (confusion[split.labels[i]][predicted[i]] += 1));
    expect(result.confusion).toEqual(confusion);
    const correct = indices.filter((i) => predicted[i] === split.labels[i]).length;
    expect(result.top1).toBeCloseTo(correct / 24, 10);
    expect(result.top5).toBe(1);
    expect(result.loss).toBeGreaterThan(0);
    expect(result.misclassified.map((m) => m.id).sort()).toEqual(
      indices
        .filter((i) => predicted[i] !== split.labels[i])
        .map((i) => split.id(i))
        .sort(),
    );
    for (const m of result.misclassified) {
      expect(m.predicted).not.toBe(m.trueLabel);
      expect(m.probability).toBeGreaterThan(1 / 3 - 1e-9);
    }
    result.perClass.forEach((c, k) => {
      expect(c.support).toBe(8);
      const tp = confusion[k][k];
      const predictedK = confusion.reduce((a, row) => a + row[k], 0);
      expect(c.recall).toBeCloseTo(tp / 8, 10);
      expect(c.precision).toBeCloseTo(predictedK ? tp / predictedK : 0, 10);
    });
  });

  it('defaults to the validation split of a folder and honours limit', async () => {
    const result = await evaluate({ run: fixture.run, dataset: fixture.dataset });
    expect(result.count).toBe(6);
    const limited = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'train', limit: 7 });
    expect(limited.count).toBe(7);
  });

  it("'all' evaluates every image of a folder kept apart for testing, each once", async () => {
    const whole = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'all' });
    const train = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'train' });
    const validation = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'validation' });
    expect(whole.count).toBe(train.count + validation.count);
    expect(whole.samples?.map((s) => s.id).sort()).toEqual([...(train.samples ?? []), ...(validation.samples ?? [])].map((s) => s.id).sort());
    expect(whole.top1 * whole.count).toBeCloseTo(train.top1 * train.count + validation.top1 * validation.count, 6);
    const limited = await evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'all', limit: 10 });
    expect(limited.count).toBe(10);
  });

  it('refuses a dataset with other classes, a missing split and a wrong run path', async () => {
    const other = path.join(root, 'other');
    await makeImageFolder(other, { classes: ['cat', 'dog'], perClass: 3, size: 16 });
    await expect(evaluate({ run: fixture.run, dataset: other })).rejects.toThrow(/classes \[cat, dog\].*trained on \[circle, plain, stripes\]/);
    await expect(evaluate({ run: fixture.run, dataset: fixture.dataset, split: 'test' })).rejects.toThrow(/no "test" split/);
    await expect(evaluate({ run: path.join(root, 'missing'), dataset: fixture.dataset })).rejects.toThrow(/expected a run folder/);
    await expect(evaluate({ run: fixture.dataset, dataset: fixture.dataset })).rejects.toThrow(/holds no checkpoint/);
  });
});
