import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile, toModelInput } from '../../src-main/engine/data/preprocess';
import { AbortedError } from '../../src-main/engine/errors';
import { predictFolder } from '../../src-main/engine/jobs/predict';
import { loadCheckpoint } from '../../src-main/engine/checkpoint/checkpoint';
import type { PredictionItem } from '../../src-main/engine/types';
import { writeBrokenFiles } from '../fixtures/image-folder';
import { trainTinyRun } from './train/run-fixture';

let root: string;
let folder: string;
let fixture: Awaited<ReturnType<typeof trainTinyRun>>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-predict-'));
  fixture = await trainTinyRun(root);
  folder = path.join(root, 'inbox');
  await mkdir(path.join(folder, 'b', 'deeper'), { recursive: true });
  await copyFile(path.join(fixture.dataset, 'circle', '0.png'), path.join(folder, 'a.png'));
  await copyFile(path.join(fixture.dataset, 'stripes', '1.png'), path.join(folder, 'b', 'deeper', 'c.png'));
  await copyFile(path.join(fixture.dataset, 'plain', '2.png'), path.join(folder, 'b', 'z.png'));
  await writeBrokenFiles(path.join(folder, 'b'));
  await writeFile(path.join(folder, 'notes.txt'), 'not an image');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('predictFolder', () => {
  it('streams every image in file order with top-k probabilities and lists bad files', async () => {
    const before = tf.memory().numTensors;
    const items: PredictionItem[] = [];
    const counts = await predictFolder({ run: fixture.run, folder, topK: 2, batchSize: 2, onItem: (item) => items.push(item) });
    expect(tf.memory().numTensors).toBe(before);
    expect(counts).toEqual({ predicted: 3, skipped: 3 });
    const rel = items.map((i) => path.relative(folder, i.path).split(path.sep).join('/'));
    expect(rel).toEqual(['a.png', 'b/broken.jpg', 'b/deeper/c.png', 'b/empty.png', 'b/truncated.png', 'b/z.png']);
    for (const item of items) {
      if ('skipped' in item) {
        expect(item.skipped.length).toBeGreaterThan(0);
        continue;
      }
      expect(item.top).toHaveLength(2);
      expect(item.top[0].probability).toBeGreaterThanOrEqual(item.top[1].probability);
      expect(fixture.classes).toContain(item.top[0].label);
    }
    expect((items[3] as { skipped: string }).skipped).toMatch(/empty/);

    // The probabilities are the model's softmax on the checkpoint's preprocessing.
    const { model, manifest } = await loadCheckpoint(fixture.run);
    const pixels = await decodeImageFile(path.join(folder, 'a.png'), manifest.preprocessing);
    const probs = tf.tidy(() => {
      const x = toModelInput(tf.tensor4d(Float32Array.from(pixels), [1, 16, 16, 3]), manifest.preprocessing);
      return (tf.softmax(model.predict(x) as tf.Tensor2D).arraySync() as number[][])[0];
    });
    model.dispose();
    const first = items[0] as { top: { label: string; probability: number }[] };
    expect(first.top[0].probability).toBeCloseTo(Math.max(...probs), 5);
    expect(first.top[0].label).toBe(fixture.classes[probs.indexOf(Math.max(...probs))]);
  });

  it('stops between batches when the signal fires', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const items: PredictionItem[] = [];
    const run = predictFolder({
      run: fixture.run,
      folder,
      batchSize: 1,
      signal: controller.signal,
      onItem: (item) => {
        items.push(item);
        controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(items).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says what it expected for a missing folder or run', async () => {
    await expect(predictFolder({ run: fixture.run, folder: path.join(root, 'nope'), onItem: () => undefined })).rejects.toThrow(/not a folder/);
    await expect(predictFolder({ run: path.join(root, 'nope'), folder, onItem: () => undefined })).rejects.toThrow(/expected a run folder/);
  });
});
