/**
 * What a person's small folder gets from a pretrained start, on a held-out set large enough to tell
 * models apart (issue 14). folder-sample's 24 validation images per seed move 4 points an image;
 * here the model is judged on `--held-out` unseen images per class.
 *
 *   npm run bench:transfer -- --data ../shared/datasets/cifar10/cifar-10-batches-bin \
 *     [--classes cat,dog,ship|all] [--per-class 40] [--held-out 100] [--seeds 0,1,2] \
 *     [--init pretrained,<checkpoint-dir>,...] [--modes quick-fit,small-folder] [--tta none,flip]
 *     [--set key=value,...] [--names known|new] [--json]
 *
 * The images come from CIFAR-10's test_batch, in file order: the first `--per-class` of each class
 * become a training folder (one sub-folder per class, PNG files, so the app reads it as it reads a
 * person's folder, with its own 20% validation split), the next `--held-out` the held-out folder.
 * Each (init, mode, seed) trains with the app's engine and its "Small image folder" preset
 * (services/presets.ts; `--set` changes its fields for a tuning sitting) or that preset as a Quick fit
 * (linearProbe), and the last checkpoint is
 * evaluated on every held-out image.
 *
 * `--names known` (the default) names the sub-folders by their CIFAR-10 class, so the new head's rows
 * start from the pretrained model's rows of those classes (model/known-classes.ts); `--names new`
 * names them "kind A", "kind B", ... as a person's own classes would be, with a head from scratch.
 *
 * What flatters it: the shipped model was pretrained on CIFAR-10's training split, so these are its
 * own ten classes and its own kind of 32x32 photo; test_batch was its validation set (never trained
 * on). A person's photos of other things will score lower.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { CIFAR10_CLASSES, CIFAR_RECORD_BYTES, CIFAR_TEST_FILE, planarToHwc } from '../src-main/engine/data/cifar10';
import { ALL_SPLITS, evaluate } from '../src-main/engine/jobs/evaluate';
import { requestedTta } from '../src-main/engine/runtime/tta';
import { train } from '../src-main/engine/jobs/train';
import type { TrainConfig } from '../src-main/engine/types';
import { PRESETS } from '../src-main/services/presets';

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string' },
    classes: { type: 'string', default: 'cat,dog,ship' },
    'per-class': { type: 'string', default: '40' },
    'held-out': { type: 'string', default: '100' },
    seeds: { type: 'string', default: '0,1,2' },
    init: { type: 'string', default: 'pretrained' },
    modes: { type: 'string', default: 'quick-fit,small-folder' },
    tta: { type: 'string', default: 'none,flip' },
    set: { type: 'string', default: '' },
    names: { type: 'string', default: 'known' },
    json: { type: 'boolean', default: false },
  },
});
if (!opts.data) {
  console.error('usage: bench/transfer.ts --data <cifar-10-batches-bin> [options]');
  process.exit(2);
}
const classes = opts.classes === 'all' ? CIFAR10_CLASSES : opts.classes!.split(',');
for (const c of classes) if (!CIFAR10_CLASSES.includes(c)) throw new Error(`${c} is not a CIFAR-10 class`);
const perClass = Number(opts['per-class']);
const heldOut = Number(opts['held-out']);
const seeds = opts.seeds!.split(',').map(Number);
const inits = opts.init!.split(',');
const modes = opts.modes!.split(',') as ('quick-fit' | 'small-folder')[];
const ttas = opts.tta!.split(',').map((t) => requestedTta(t));
if (opts.names !== 'known' && opts.names !== 'new') throw new Error(`--names is known or new, not "${opts.names}"`);
/** The sub-folder of a CIFAR-10 label: its class name, or a name no model knows. */
const folderName = (label: number) => (opts.names === 'new' ? `kind ${String.fromCharCode(65 + label)}` : CIFAR10_CLASSES[label]);

/** Writes the training and held-out folders; returns their paths. */
async function makeFolders(root: string): Promise<{ trainDir: string; heldOutDir: string }> {
  const file = path.join(opts.data!, CIFAR_TEST_FILE);
  const raw = await readFile(file);
  const taken = new Map(classes.map((c) => [CIFAR10_CLASSES.indexOf(c), 0]));
  const trainDir = path.join(root, 'train');
  const heldOutDir = path.join(root, 'held-out');
  for (let i = 0; i < raw.length / CIFAR_RECORD_BYTES; i++) {
    const label = raw[i * CIFAR_RECORD_BYTES];
    const count = taken.get(label);
    if (count === undefined || count >= perClass + heldOut) continue;
    taken.set(label, count + 1);
    const dir = path.join(count < perClass ? trainDir : heldOutDir, folderName(label));
    await mkdir(dir, { recursive: true });
    const rgb = Buffer.alloc(32 * 32 * 3);
    planarToHwc(raw, i * CIFAR_RECORD_BYTES + 1, rgb, 0);
    await sharp(rgb, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toFile(path.join(dir, `${i}.png`));
  }
  for (const [label, count] of taken) {
    if (count < perClass + heldOut) throw new Error(`test_batch holds only ${count} images of ${CIFAR10_CLASSES[label]}`);
  }
  return { trainDir, heldOutDir };
}

/** Top-1 over every held-out image, under each test-time augmentation asked for. */
async function heldOutTop1(run: string, heldOutDir: string): Promise<Record<string, number>> {
  const top1: Record<string, number> = {};
  for (const tta of ttas) top1[tta] = (await evaluate({ run, dataset: heldOutDir, split: ALL_SPLITS, tta })).top1;
  return top1;
}

/** `--set lr=0.02,epochs=40`: preset fields changed for a tuning sitting; numbers stay numbers. */
function overrides(text: string): Partial<TrainConfig> {
  if (!text) return {};
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const [key, value] = pair.split('=');
      if (!key || value === undefined) throw new Error(`--set wants key=value pairs, got "${pair}"`);
      return [key, value === 'true' ? true : value === 'false' ? false : Number.isNaN(Number(value)) ? value : Number(value)];
    }),
  );
}

const smallFolder = { ...(PRESETS.find((p) => p.id === 'small-folder')!.config as unknown as TrainConfig), ...overrides(opts.set!) };
const root = await mkdtemp(path.join(tmpdir(), 'bench-transfer-'));
process.env.SHUFFLENET_CACHE_DIR = path.join(root, 'cache');
try {
  const { trainDir, heldOutDir } = await makeFolders(root);
  const rows: { init: string; mode: string; seed: number; heldOutTop1: Record<string, number>; trainSec: number }[] = [];
  const shown = (top1: Record<string, number>) => ttas.map((t) => `${t} ${top1[t].toFixed(4)}`).join(', ');
  for (const seed of seeds) {
    for (const init of inits) {
      for (const mode of modes) {
        const outDir = path.join(root, 'runs', `${rows.length}`);
        const started = performance.now();
        await train({ ...smallFolder, init, seed, linearProbe: mode === 'quick-fit', dataset: trainDir, outDir });
        const trainSec = (performance.now() - started) / 1000;
        const top1 = await heldOutTop1(outDir, heldOutDir);
        rows.push({ init, mode, seed, heldOutTop1: top1, trainSec });
        if (!opts.json) console.error(`${init} ${mode} seed ${seed}: held-out top-1 (by TTA) ${shown(top1)}, trained in ${trainSec.toFixed(1)} s`);
      }
    }
  }
  const summary = inits.flatMap((init) =>
    modes.flatMap((mode) =>
      ttas.map((tta) => {
        const mine = rows.filter((r) => r.init === init && r.mode === mode);
        const mean = mine.reduce((a, r) => a + r.heldOutTop1[tta], 0) / mine.length;
        const seconds = mine.map((r) => r.trainSec);
        return {
          init,
          mode,
          tta,
          perSeed: mine.map((r) => Number(r.heldOutTop1[tta].toFixed(4))),
          mean: Number(mean.toFixed(4)),
          trainSec: [Math.min(...seconds), Math.max(...seconds)],
        };
      }),
    ),
  );
  const report = { classes, names: opts.names, perClass, heldOut: heldOut * classes.length, seeds, set: opts.set, rows, summary };
  if (opts.json) console.log(JSON.stringify(report));
  else {
    for (const s of summary) {
      console.log(
        `${s.init.padEnd(30)} ${s.mode.padEnd(13)} TTA ${s.tta.padEnd(10)} held-out top-1 per seed ${s.perSeed.join(' / ')}  mean ${s.mean.toFixed(4)}  trained in ${s.trainSec.map((t) => t.toFixed(1)).join('-')} s`,
      );
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
