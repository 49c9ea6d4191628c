/**
 * A run whose disk fills up in the app: the run fails with the engine's one sentence (which folder
 * is full, what the checkpoint needs, which checkpoint is intact), not the system's raw ENOSPC.
 * Needs a real small filesystem: a tmpfs mounted over the app's runs folder (root only).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Payload } from '../../src-main/contract';
import { buildShuffleNetV1 } from '../../src-main/engine/model/shufflenet';
import { writeCheckpoint } from '../../src-main/engine/checkpoint/checkpoint';
import { defaultTrainConfig } from '../../src-main/engine/train/config';
import { makeImageFolder, removeDir, startHarness, TINY, tempDir, type Harness } from './helpers';
import { hasEnded } from '../../src-main/contract';

let root: string;
let runsDir: string;
let mountError: string | null = null;
let harness: Harness | undefined;
let dataset: Dataset;

/** Bytes of one checkpoint of the TINY model for two classes, measured by writing one. */
async function tinyCheckpointBytes(dir: string): Promise<number> {
  await tf.setBackend('cpu');
  const model = buildShuffleNetV1({ scale: 0.25, groups: 3, numClasses: 2, stem: 'cifar', inputSize: 16 });
  const params = model.trainableWeights.reduce((sum, w) => sum + tf.util.sizeFromShape(w.shape as number[]), 0);
  const written = await writeCheckpoint(dir, {
    model,
    manifest: {
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      epoch: 1,
      config: defaultTrainConfig({ dataset: dir, outDir: dir }),
      model: { scale: 0.25, groups: 3, numClasses: 2, stem: 'cifar', inputSize: 16 },
      preprocessing: { storeSize: 16, inputSize: 16, fit: 'cover', mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] },
      classes: ['cat', 'dog'],
      metrics: [],
      backend: 'cpu',
    },
    optimizer: { header: { formatVersion: 1, step: 1, momentum: 0.9, weightDecay: 0, entries: [] }, velocities: new Float32Array(params) },
    state: {
      formatVersion: 1,
      epochsCompleted: 1,
      stepInEpoch: 0,
      stepsPerEpoch: 2,
      trainCount: 12,
      partialLossSum: 0,
      partialCorrect: 0,
      partialSeen: 0,
      bestValAccuracy: 0,
      elapsedSec: 0,
    },
  });
  model.dispose();
  return readdirSync(written).reduce((sum, f) => sum + statSync(join(written, f)).size, 0);
}

beforeAll(async () => {
  root = tempDir('disk-full');
  await makeImageFolder(join(root, 'pets'), 8);
  const checkpointBytes = await tinyCheckpointBytes(join(root, 'measure'));
  runsDir = join(root, 'data', 'runs');
  mkdirSync(runsDir, { recursive: true });
  // Room for the run's prepared images, its first checkpoint and half of a second.
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((checkpointBytes * 1.5 + 96 * 1024) / 1024)}k`, 'tmpfs', runsDir], {
    encoding: 'utf8',
  });
  if (mounted.status !== 0) {
    mountError = (mounted.stderr || mounted.error?.message || `exit ${mounted.status}`).trim();
    return;
  }
  harness = startHarness(join(root, 'data'));
  dataset = await harness.client.invoke('datasets.addFolder', { path: join(root, 'pets') });
}, 60_000);

afterAll(() => {
  harness?.close();
  if (!mountError) spawnSync('umount', [runsDir]);
  removeDir(root);
});

describe('a full disk during a run in the app', () => {
  it('fails the run with the sentence that names the folder, the size needed and the intact checkpoint', async (context) => {
    if (!harness) return context.skip(`cannot mount a small tmpfs here (${mountError}); skipping the real disk-full test`);
    const done = harness.next('training.status', (p: Payload<'training.status'>) => hasEnded(p.run.status), 240_000);
    const run = await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, epochs: 2 }, name: 'full' });
    const final = (await done).run;
    const checkpoints = join(runsDir, String(run.id), 'checkpoints');
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(
      new RegExp(
        `^No space left on the disk of ${checkpoints}: checkpoint epoch-0002 needs \\d+ kB and \\d+ kB are free there; ` +
          `the previous checkpoint ${join(checkpoints, 'epoch-0001')} is intact; free some space, then resume the run$`,
      ),
    );
    expect(readdirSync(checkpoints)).toEqual(['epoch-0001']);
  }, 240_000);
});
