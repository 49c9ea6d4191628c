import { cp, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { decodeImageFile } from '../../../src-main/engine/data/preprocess';
import { UserError } from '../../../src-main/engine/errors';
import { explainImage } from '../../../src-main/engine/explain/explain-image';
import { gradCam } from '../../../src-main/engine/explain/grad-cam';
import { checkpointModelCacheStats, clearCheckpointModelCache } from '../../../src-main/engine/explain/model-cache';
import { latestCheckpoint, loadCheckpoint } from '../../../src-main/engine/checkpoint/checkpoint';
import { linearProbe } from '../../../src-main/engine/transfer/linear-probe';
import { pretrainedDir } from '../../../src-main/engine/checkpoint/pretrained';
import { pastedSquarePixels, pngOf, writePastedSquareFolder } from './pasted-object';

let dir = '';
let run = '';
let image = '';
beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(path.join(tmpdir(), 'explain-'));
  const data = path.join(dir, 'squares');
  await writePastedSquareFolder(data, { classes: ['red', 'green', 'empty'], perClass: 8, size: 32, side: 8 });
  run = path.join(dir, 'run');
  await linearProbe({ dataset: data, outDir: run, from: pretrainedDir() });
  image = path.join(dir, 'green.png');
  await writeFile(image, await pngOf(pastedSquarePixels(32, { cls: 'green', x: 20, y: 4, side: 8 }), 32));
});
afterAll(async () => {
  clearCheckpointModelCache();
  await rm(dir, { recursive: true, force: true });
});

describe('explainImage', () => {
  it("explains a file with its run's newest checkpoint: the heatmap gradCam gives, the top classes, and another class when asked", async () => {
    const explained = await explainImage({ run, path: image });
    const checkpoint = await latestCheckpoint(run);
    expect(explained.checkpoint).toBe(checkpoint);
    expect(explained.className).toBe('green');
    expect(explained.top.map((t) => t.className)).toEqual(['green', expect.any(String), expect.any(String)]);
    expect(explained.top[0]).toEqual({ classIndex: explained.classIndex, className: 'green', probability: explained.probability });
    expect(explained.top[0].probability).toBeGreaterThan(explained.top[1].probability);
    expect(explained.top[1].probability).toBeGreaterThanOrEqual(explained.top[2].probability);
    expect([explained.width, explained.height, explained.values.length]).toEqual([4, 4, 16]);

    // The same as gradCam on the pixels decoded as the checkpoint says.
    const { model, manifest } = await loadCheckpoint(run);
    const direct = await gradCam(model, await decodeImageFile(image, manifest.preprocessing), manifest.preprocessing);
    model.dispose();
    expect(explained.values).toEqual(direct.values);
    expect(explained.preprocessing).toEqual(manifest.preprocessing);

    const red = manifest.classes.indexOf('red');
    const other = await explainImage({ run, path: image, classIndex: red, topK: 1 });
    expect(other).toMatchObject({ classIndex: red, className: 'red', top: [explained.top[0]] });
    expect(other.probability).toBeCloseTo(explained.probabilities[red], 6);
  });

  it('loads a checkpoint once for many images, keeps two, and disposes the models it lets go', async () => {
    clearCheckpointModelCache();
    const baseline = tf.memory().numTensors;
    const { loads } = checkpointModelCacheStats();
    const checkpoint = (await latestCheckpoint(run)) as string;
    await explainImage({ run, path: image });
    await explainImage({ run: checkpoint, path: image });
    await explainImage({ run, path: image });
    expect(checkpointModelCacheStats()).toEqual({ dirs: [checkpoint], loads: loads + 1 });
    const perModel = tf.memory().numTensors - baseline;
    expect(perModel).toBeGreaterThan(0);

    // Two more runs (copies): the least recently used of three is evicted and its model disposed.
    const copies = [path.join(dir, 'copy-1'), path.join(dir, 'copy-2')];
    for (const copy of copies) await cp(run, copy, { recursive: true });
    await Promise.all(copies.map((copy) => explainImage({ run: copy, path: image })));
    expect(checkpointModelCacheStats().dirs).toHaveLength(2);
    expect(checkpointModelCacheStats().dirs).not.toContain(checkpoint);
    expect(checkpointModelCacheStats().loads).toBe(loads + 3);
    expect(tf.memory().numTensors).toBe(baseline + 2 * perModel);

    // A checkpoint rewritten in place (a run stopped twice at the same step) is loaded afresh.
    const newest = checkpointModelCacheStats().dirs[1];
    const later = new Date(Date.now() + 5000);
    await utimes(path.join(newest, 'manifest.json'), later, later);
    await explainImage({ run: newest, path: image });
    expect(checkpointModelCacheStats().loads).toBe(loads + 4);
    expect(tf.memory().numTensors).toBe(baseline + 2 * perModel);

    clearCheckpointModelCache();
    expect(checkpointModelCacheStats().dirs).toEqual([]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('says in one sentence why a file or a run cannot be explained, and caches nothing for a broken run', async () => {
    const text = path.join(dir, 'notes.png');
    await writeFile(text, 'not a picture\n');
    await expect(explainImage({ run, path: text })).rejects.toThrow(new UserError(`${text} cannot be explained: not an image (text file)`, 'image-unreadable'));
    const gone = path.join(dir, 'gone.png');
    await expect(explainImage({ run, path: gone })).rejects.toThrow(`${gone} cannot be explained: cannot read the file (it no longer exists)`);
    await expect(explainImage({ run, path: image, classIndex: 7 })).rejects.toThrow('classIndex must be a whole number from 0 to 2, got 7');

    clearCheckpointModelCache();
    await expect(explainImage({ run: path.join(dir, 'no-run'), path: image })).rejects.toMatchObject({ code: 'checkpoint-not-found' });
    const broken = path.join(dir, 'broken-run');
    await cp(run, broken, { recursive: true });
    await writeFile(path.join((await latestCheckpoint(broken)) as string, 'weights.bin'), 'damaged');
    await expect(explainImage({ run: broken, path: image })).rejects.toBeInstanceOf(UserError);
    expect(checkpointModelCacheStats().dirs).toEqual([]);
  });
});
