import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../src-main/engine/jobs/train';
import { learningRateAt } from '../../src-main/engine/train/schedule';
import type { TrainConfig, TrainEvent } from '../../src-main/engine/types';
import { PRESETS } from '../../src-main/services/presets';

/**
 * Each preset trains to a sane start on a slice of its intended data, with the preset's own lr,
 * batch and optimizer: no divergence, finite losses, and a loss that falls. "CIFAR-10, 15 epochs"
 * and "CIFAR-10 in 15 minutes" run their first steps as on the full data (the slice's warm-up
 * stretched to the same rates, or it would reach lr 0.2 in 20 steps instead of 391 or 196); their
 * full runs are measured in docs/results.md. "MindSpore tutorial" (2.0x at 224 px, about 17 s a
 * step on 2 busy cores) runs one step here, which proves its model builds, fits and trains at its
 * size; its first 20 steps are measured in docs/results.md, and its full run needs a GPU.
 */
const CIFAR = path.resolve(__dirname, '../../../shared/datasets/cifar10/cifar-10-batches-bin');
const FOLDER = path.resolve(__dirname, '../../../shared/datasets/folder-sample');
if (!existsSync(CIFAR) || !existsSync(FOLDER))
  console.warn(
    `presets.test: ${existsSync(CIFAR) ? '' : `${CIFAR} not found (the CIFAR-10 presets skip) `}${existsSync(FOLDER) ? '' : `${FOLDER} not found (Small image folder skips)`}`,
  );

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'presets-'));
  process.env.SHUFFLENET_CACHE_DIR = path.join(root, 'cache');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const preset = (id: string) => PRESETS.find((p) => p.id === id)!.config as unknown as TrainConfig;

async function trainSlice(id: string, dataset: string, overrides: Partial<TrainConfig>) {
  const events: TrainEvent[] = [];
  const done = await train({ ...preset(id), ...overrides, dataset, outDir: path.join(root, id) }, { onEvent: (e) => events.push(e) });
  const batches = events.filter((e) => e.type === 'batch');
  const epochs = events.filter((e) => e.type === 'epoch');
  return { done, firstLoss: batches[0].loss, epochs };
}

describe('presets on their intended data', () => {
  it.skipIf(!existsSync(CIFAR))(
    'Fast CIFAR learns on 640 CIFAR-10 images without diverging',
    async () => {
      const { done, firstLoss, epochs } = await trainSlice('fast-cifar', CIFAR, { limit: 640 });
      expect(done.status).toBe('completed');
      for (const e of epochs) expect(Number.isFinite(e.trainLoss)).toBe(true);
      expect(epochs.at(-1)!.trainLoss).toBeLessThan(firstLoss);
    },
    180_000,
  );

  // A full run's warm-up is linear from 0 over round(warmupEpochs x 391) steps (391 = an epoch of
  // batch 128 on 50,000 images): 391 steps for "15 epochs", 196 for "15 minutes". A one-epoch slice
  // of 20 steps warming up to the full run's rate at its step 20 takes the same 20 steps, to lr x
  // 20/391 and lr x 20/196 (a slice with the preset's own warm-up would reach lr 0.2 within 20 steps
  // and diverge). ln 10 = 2.30 is chance and label smoothing 0.1 lifts the floor; issue 18's
  // early-warm-up climb keeps the loss from falling reliably in 20 steps, so the check is "near
  // chance". The slice's epoch-1 mean loss, measured (seed 0, same each run): "15 epochs" 2.65;
  // "15 minutes" 2.89 (its steps 19-20 already climb to 4-5, the spike its full run recovers from),
  // 3.65 at 1.5 x its lr, diverged at 2 x.
  const SLICE_STEPS = 20;
  describe.skipIf(!existsSync(CIFAR)).each([
    { id: 'cifar10-15-epochs', steps: SLICE_STEPS },
    { id: 'cifar10-15-minutes', steps: SLICE_STEPS },
    { id: 'mindspore-tutorial', steps: 1 },
  ])('$id', ({ id, steps }) => {
    it(`its first ${steps} step(s) on CIFAR-10 stay near chance, not diverging`, async () => {
      const full = preset(id);
      const fullSchedule = { lr: full.lr, epochs: full.epochs, warmupEpochs: full.warmupEpochs, stepsPerEpoch: Math.ceil(50_000 / full.batchSize) };
      const slice = { epochs: 1, warmupEpochs: 1, lr: learningRateAt(steps - 1, fullSchedule) };
      // The slice replays the full run's first rates only while they all lie in its warm-up.
      for (let step = 0; step < steps; step++) {
        expect(learningRateAt(step, { ...slice, stepsPerEpoch: steps })).toBeCloseTo(learningRateAt(step, fullSchedule), 12);
      }
      const { done, epochs } = await trainSlice(id, CIFAR, { ...slice, limit: steps * full.batchSize });
      expect(done.status).toBe('completed');
      expect(Number.isFinite(epochs[0].trainLoss)).toBe(true);
      expect(epochs[0].trainLoss).toBeLessThan(Math.log(10) + 1);
    }, 300_000);
  });

  // folder-sample's cat, dog and ship are classes the pretrained model knows, so the head starts
  // from its rows (model/known-classes.ts) and the loss starts low rather than falling: measured
  // 0.55 in epoch 1 and 0.53 after 30, validation 0.96 then 0.92 (seed 0). So the check is that
  // the fine-tune keeps a good model: a broken head or backbone copy sits near chance (ln 3 = 1.10).
  it.skipIf(!existsSync(FOLDER))(
    'Small image folder fine-tunes folder-sample without diverging or losing the pretrained classes',
    async () => {
      const { done, epochs } = await trainSlice('small-folder', FOLDER, { epochs: 8 });
      expect(done.status).toBe('completed');
      for (const e of epochs) expect(Number.isFinite(e.trainLoss)).toBe(true);
      expect(epochs.at(-1)!.trainLoss).toBeLessThan(0.8);
      expect(epochs.at(-1)!.valAccuracy).toBeGreaterThanOrEqual(0.75);
    },
    180_000,
  );
});
