import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src-main/engine/errors';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import {
  checkpointName,
  latestCheckpoint,
  loadCheckpoint,
  pruneCheckpoints,
  readManifest,
  readTrainingState,
  writeCheckpoint,
  type TrainState,
} from '../../../src-main/engine/checkpoint/checkpoint';
import { defaultTrainConfig } from '../../../src-main/engine/train/config';
import { MomentumSgd } from '../../../src-main/engine/step/sgd';
import type { CheckpointManifest, ModelConfig } from '../../../src-main/engine/types';

let root: string;
const modelConfig: ModelConfig = { scale: 0.25, groups: 1, numClasses: 3, stem: 'cifar', inputSize: 8 };

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-ckpt-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function state(epochsCompleted: number, stepInEpoch: number): TrainState {
  return {
    formatVersion: 1,
    epochsCompleted,
    stepInEpoch,
    stepsPerEpoch: 5,
    trainCount: 40,
    partialLossSum: stepInEpoch * 1.5,
    partialCorrect: stepInEpoch,
    partialSeen: stepInEpoch * 8,
    bestValAccuracy: 0.5,
    elapsedSec: 12,
  };
}

function manifest(epoch: number): CheckpointManifest {
  return {
    formatVersion: 1,
    createdAt: new Date(0).toISOString(),
    epoch,
    config: defaultTrainConfig({ dataset: '/data', outDir: root }),
    model: modelConfig,
    preprocessing: { storeSize: 8, inputSize: 8, fit: 'cover', mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] },
    classes: ['a', 'b', 'c'],
    metrics: [],
    backend: 'cpu',
  };
}

describe('checkpoints', () => {
  it('are written whole, found newest first, loaded with their optimizer state, and pruned', async () => {
    const run = path.join(root, 'run');
    const model = buildShuffleNetV1(modelConfig);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const sgd = new MomentumSgd(
      model.trainableWeights.map((w, i) => ({ name: w.originalName, variable: variables[i] })),
      { momentum: 0.9, weightDecay: 4e-5 },
    );
    const grads = Object.fromEntries(variables.map((v) => [v.name, tf.onesLike(v)]));
    sgd.apply(grads, 0.1);
    tf.dispose(Object.values(grads));
    const optimizer = await sgd.getState();

    expect(await latestCheckpoint(run)).toBeNull();
    for (const [e, s] of [
      [1, 0],
      [2, 0],
      [2, 3],
      [3, 0],
    ] as const) {
      await writeCheckpoint(run, { model, manifest: manifest(e), optimizer, state: state(e, s) });
    }
    await mkdir(path.join(run, 'checkpoints', '.tmp-epoch-0004-1-2'), { recursive: true });
    expect(path.basename((await latestCheckpoint(run)) ?? '')).toBe('epoch-0003');

    const partial = path.join(run, 'checkpoints', checkpointName(2, 3));
    expect(path.basename(partial)).toBe('epoch-0002-step-000003');
    const restored = await readTrainingState(partial);
    expect(restored.state).toEqual(state(2, 3));
    expect(restored.optimizer.header).toEqual(optimizer.header);
    expect(Array.from(restored.optimizer.velocities)).toEqual(Array.from(optimizer.velocities));

    const loaded = await loadCheckpoint(partial);
    expect(loaded.dir).toBe(partial);
    expect(loaded.manifest.epoch).toBe(2);
    const a = model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = loaded.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b).toEqual(a);
    loaded.model.dispose();
    const viaRun = await loadCheckpoint(run);
    expect(path.basename(viaRun.dir)).toBe('epoch-0003');
    viaRun.model.dispose();

    // The best epoch's checkpoint stays with the newest ones (evaluation uses it by default).
    await pruneCheckpoints(run, 2, 1);
    expect(await readdir(path.join(run, 'checkpoints'))).toEqual(['epoch-0001', 'epoch-0002', 'epoch-0003']);
    await pruneCheckpoints(run, 2);
    expect(await readdir(path.join(run, 'checkpoints'))).toEqual(['epoch-0002', 'epoch-0003']);
    sgd.dispose();
    model.dispose();
  });

  it('a wrong path is a UserError that says what was expected', async () => {
    await expect(loadCheckpoint(path.join(root, 'missing'))).rejects.toThrow(/does not exist.*expected a run folder/);
    const empty = path.join(root, 'empty');
    await mkdir(empty);
    await expect(loadCheckpoint(empty)).rejects.toThrow(UserError);
    await expect(loadCheckpoint(empty)).rejects.toThrow(/holds no checkpoint: expected .*checkpoints\/epoch-NNNN/);
    const bogus = path.join(root, 'bogus');
    await mkdir(bogus);
    await writeFile(path.join(bogus, 'manifest.json'), '{"hello": 1}');
    await expect(loadCheckpoint(bogus)).rejects.toThrow(/not a ShuffleNet Studio checkpoint manifest/);
  });

  it('record a SHA-256 of every file in the manifest and refuse a file whose bytes changed in place', async () => {
    const run = path.join(root, 'checksummed');
    const model = buildShuffleNetV1(modelConfig);
    const optimizer = {
      header: { formatVersion: 1 as const, step: 1, momentum: 0.9, weightDecay: 0, entries: [] },
      velocities: new Float32Array(1024).fill(0.5),
    };
    const dir = await writeCheckpoint(run, { model, manifest: manifest(1), optimizer, state: state(1, 0) });
    model.dispose();
    const written = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    const files = (await readdir(dir)).filter((f) => f !== 'manifest.json').sort();
    expect(Object.keys(written.sha256 ?? {}).sort()).toEqual(files);
    for (const f of files)
      expect(written.sha256?.[f]).toBe(
        createHash('sha256')
          .update(await readFile(path.join(dir, f)))
          .digest('hex'),
      );
    (await loadCheckpoint(dir)).model.dispose();

    // Momentum buffers damaged in place: same size, other bytes; resuming from them must fail.
    const optimizerBin = path.join(dir, 'optimizer.bin');
    const good = await readFile(optimizerBin);
    await writeFile(optimizerBin, Buffer.from(good).fill(0xff, 100, 200));
    expect((await stat(optimizerBin)).size).toBe(good.byteLength);
    await expect(readManifest(dir)).rejects.toThrow(
      `checkpoint ${optimizerBin} is corrupted: its SHA-256 does not match the manifest (written ${written.createdAt})`,
    );
    await writeFile(optimizerBin, good);
    await rm(path.join(dir, 'train-state.json'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `checkpoint ${path.join(dir, 'train-state.json')} is missing: the manifest (written ${written.createdAt}) lists it`,
    );
  });

  it('load a checkpoint written before checksums were recorded, unchecked', async () => {
    const run = path.join(root, 'unchecksummed');
    const model = buildShuffleNetV1(modelConfig);
    const optimizer = { header: { formatVersion: 1 as const, step: 1, momentum: 0.9, weightDecay: 0, entries: [] }, velocities: new Float32Array(8) };
    const dir = await writeCheckpoint(run, { model, manifest: manifest(1), optimizer, state: state(1, 0) });
    const manifestFile = path.join(dir, 'manifest.json');
    const old = JSON.parse(await readFile(manifestFile, 'utf8')) as CheckpointManifest;
    delete old.sha256;
    await writeFile(manifestFile, JSON.stringify(old));
    const loaded = await loadCheckpoint(run);
    expect(loaded.model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
    loaded.model.dispose();
    model.dispose();
  });
});
