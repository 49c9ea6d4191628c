/**
 * Active labeling, simulated (issue 16): does labeling the least certain images first beat labeling
 * in random order? A 10-class, 500-image pool cut from the CIFAR-10 test split is "labeled" 50
 * images at a time; after each round a softmax head is fitted on the labeled images' features (the
 * app's quick path: shipped pretrained backbone frozen, fitSoftmaxHead) and scored on a disjoint
 * held-out set from the rest of the test split. The next 50 are the unlabeled images with the
 * smallest margin between the top-2 probabilities (least certain) or 50 at random. Round 0 is the
 * same 50 random images for both orders. Frozen features, not a fine-tune per round: ten rounds, two
 * orders and several seeds of full fine-tuning would not fit a shared 2-core machine.
 *
 *   npm run bench:active -- [--seeds 5] [--pool 500] [--heldout 2000] [--step 50] [--l2 once|each|NUMBER]
 *                           [--svg docs/images/active-labeling.svg] [--json]
 *
 * The data is ../shared/datasets/cifar10 (or SHUFFLENET_DATASETS). Prints a JSON summary.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src-main/engine/backend';
import { createRng } from '../src-main/engine/data/augment';
import { loadCifar10 } from '../src-main/engine/data/cifar10';
import { loadCheckpoint } from '../src-main/engine/checkpoint/checkpoint';
import { shuffled } from '../src-main/engine/data/data-order';
import { featuresOf } from '../src-main/engine/transfer/features';
import { pretrainedDir } from '../src-main/engine/checkpoint/pretrained';
import { fitSoftmaxHead, scoreHead, type SoftmaxHead } from '../src-main/engine/transfer/softmax-head';
import { lineChartSvg } from './line-chart-svg';

const { values: opts } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    pool: { type: 'string', default: '500' },
    heldout: { type: 'string', default: '2000' },
    step: { type: 'string', default: '50' },
    /** 'once' (default): one L2 for every fit; 'each': the app's per-fit grid CV (about 13x the fits); or a number. */
    l2: { type: 'string', default: 'once' },
    svg: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const SEEDS = Number(opts.seeds);
const POOL = Number(opts.pool);
const HELDOUT = Number(opts.heldout);
const STEP = Number(opts.step);
const CLASSES = 10;
/** Which test images form the pool and the held-out set: fixed, so only the labeling order varies by seed. */
const CUT_SEED = 1234;

const datasets = process.env.SHUFFLENET_DATASETS ?? path.resolve(import.meta.dirname, '../../shared/datasets');
const cifarDir = path.join(datasets, 'cifar10/cifar-10-batches-bin');

/** A class-balanced pool (POOL / 10 per class) and, from the rest, HELDOUT held-out images, from one shuffle of the test split. */
function cutTestSplit(labels: Int32Array): { pool: number[]; heldout: number[] } {
  const order = shuffled(
    Array.from({ length: labels.length }, (_, i) => i),
    createRng(CUT_SEED),
  );
  const perClass = new Array<number>(CLASSES).fill(0);
  const pool: number[] = [];
  const rest: number[] = [];
  for (const i of order) {
    if (perClass[labels[i]] < POOL / CLASSES) {
      perClass[labels[i]]++;
      pool.push(i);
    } else rest.push(i);
  }
  return { pool, heldout: rest.slice(0, HELDOUT) };
}

/** Top-1 minus top-2 softmax probability of each row under `head`: small means the head is unsure. */
function margins(features: Float32Array, rows: readonly number[], head: SoftmaxHead): Float64Array {
  const width = head.kernel.length / CLASSES;
  const out = new Float64Array(rows.length);
  const z = new Float64Array(CLASSES);
  rows.forEach((row, r) => {
    for (let k = 0; k < CLASSES; k++) {
      let s = head.bias[k];
      for (let j = 0; j < width; j++) s += features[row * width + j] * head.kernel[j * CLASSES + k];
      z[k] = s;
    }
    const max = Math.max(...z);
    let sum = 0;
    for (let k = 0; k < CLASSES; k++) sum += z[k] = Math.exp(z[k] - max);
    const p = Array.from(z, (v) => v / sum).sort((a, b) => b - a);
    out[r] = p[0] - p[1];
  });
  return out;
}

const rowsOf = (features: Float32Array, rows: readonly number[], width: number) => {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, r) => out.set(features.subarray(row * width, (row + 1) * width), r * width));
  return out;
};

type Order = 'leastCertain' | 'random';
type Labeled = { x: Float32Array; y: Int32Array };

/**
 * Fits on the labeled pool rows, in pool order (a folder lists its files in file order, whatever the
 * order they were labeled in), so the same labeled set gives the same head whichever order chose it;
 * round 0 and the last round are then fitted once per seed.
 */
function headFitter(pool: Labeled, width: number, l2Grid: readonly number[] | undefined) {
  const cache = new Map<string, SoftmaxHead>();
  return (labeled: readonly number[]): SoftmaxHead => {
    const rows = [...labeled].sort((a, b) => a - b);
    const key = rows.join(',');
    let head = cache.get(key);
    if (!head) {
      head = fitSoftmaxHead(
        rowsOf(pool.x, rows, width),
        Int32Array.from(rows, (i) => pool.y[i]),
        { classes: CLASSES, l2Grid },
      );
      cache.set(key, head);
    }
    return head;
  };
}

/** One labeling session: held-out accuracy after each round, at STEP, 2*STEP, ... POOL labels. */
function simulate(order: Order, seed: number, pool: Labeled, held: Labeled, fitHead: (labeled: readonly number[]) => SoftmaxHead): number[] {
  const rng = createRng(seed);
  const all = Array.from({ length: POOL }, (_, i) => i);
  // Round 0 is the same for both orders: the first STEP of one seeded shuffle.
  const start = shuffled(all, rng);
  const labeled = start.slice(0, STEP);
  let unlabeled = start.slice(STEP);
  const accuracy: number[] = [];
  for (;;) {
    const head = fitHead(labeled);
    accuracy.push(scoreHead(held.x, held.y, head, CLASSES).accuracy);
    if (unlabeled.length === 0) return accuracy;
    let next: number[];
    if (order === 'random') {
      next = unlabeled.slice(0, STEP); // already in shuffled order
    } else {
      const m = margins(pool.x, unlabeled, head);
      next = unlabeled
        .map((i, r) => ({ i, m: m[r] }))
        .sort((a, b) => a.m - b.m || a.i - b.i)
        .slice(0, STEP)
        .map((e) => e.i);
    }
    const taken = new Set(next);
    labeled.push(...next);
    unlabeled = unlabeled.filter((i) => !taken.has(i));
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

const started = performance.now();
const backend = (await initBackend()).name;
const dataset = await loadCifar10(cifarDir);
const test = dataset.splits.test!;
const { pool, heldout } = cutTestSplit(test.labels);
const { model, manifest } = await loadCheckpoint(pretrainedDir());
const poolX = await featuresOf(model, test, pool, manifest.preprocessing);
const heldX = await featuresOf(model, test, heldout, manifest.preprocessing);
model.dispose();
const width = poolX.length / POOL;
const featureSec = (performance.now() - started) / 1000;
if (!opts.json) console.error(`features: ${POOL} + ${HELDOUT} images x ${width} in ${featureSec.toFixed(0)} s (${backend})`);
const poolData = { x: poolX, y: Int32Array.from(pool, (i) => test.labels[i]) };
const heldData = { x: heldX, y: Int32Array.from(heldout, (i) => test.labels[i]) };

/**
 * fitSoftmaxHead picks L2 by 3-fold CV on every fit; at ten rounds x two orders x several seeds that
 * is too slow for a shared 2-core machine, so by default the CV runs once, on the whole labeled pool,
 * and its choice serves every fit. That looks at labels a person would not have yet, but only for
 * one hyperparameter shared by both orders, so it favours neither.
 */
function chooseL2(): { l2Grid: number[] | undefined; l2: number | 'each' } {
  if (opts.l2 === 'each') return { l2Grid: undefined, l2: 'each' };
  const l2 = opts.l2 === 'once' ? fitSoftmaxHead(poolData.x, poolData.y, { classes: CLASSES }).l2 : Number(opts.l2);
  if (!(l2 >= 0)) throw new Error(`--l2 ${opts.l2}: expected once, each or a number >= 0`);
  return { l2Grid: [l2], l2 };
}
const { l2Grid, l2 } = chooseL2();
if (!opts.json) console.error(`l2: ${l2} (${((performance.now() - started) / 1000).toFixed(0)} s)`);

const runs: Record<Order, number[][]> = { leastCertain: [], random: [] };
for (let seed = 0; seed < SEEDS; seed++) {
  const fitHead = headFitter(poolData, width, l2Grid);
  for (const order of ['leastCertain', 'random'] as const) {
    runs[order].push(simulate(order, seed, poolData, heldData, fitHead));
    if (!opts.json) console.error(`seed ${seed} ${order}: ${runs[order][seed].map((a) => a.toFixed(3)).join(' ')}`);
  }
}

const labeledCounts = runs.random[0].map((_, r) => (r + 1) * STEP);
const rounds = labeledCounts.map((labeled, r) => {
  const lc = runs.leastCertain.map((a) => a[r]);
  const rnd = runs.random.map((a) => a[r]);
  const diff = lc.map((a, s) => a - rnd[s]);
  return {
    labeled,
    leastCertain: { mean: mean(lc), sd: sd(lc), min: Math.min(...lc), max: Math.max(...lc) },
    random: { mean: mean(rnd), sd: sd(rnd), min: Math.min(...rnd), max: Math.max(...rnd) },
    /** Paired by seed: the same round 0 and the same held-out set. */
    gain: { mean: mean(diff), sd: sd(diff), seedsAhead: diff.filter((d) => d > 0).length },
  };
});
const randomFinal = rounds[rounds.length - 1].random.mean;
/** Fewest labels whose mean accuracy reaches `target` under an order. */
const labelsToReach = (order: Order, target: number) => rounds.find((r) => r[order].mean >= target - 1e-12)?.labeled ?? null;
const at = (n: number) => rounds.find((r) => r.labeled === n);
const summary = {
  bench: 'active-labeling',
  backend,
  model: `pretrained ${path.basename(pretrainedDir())}, frozen; softmax head (fitSoftmaxHead) refitted each round`,
  l2:
    l2 === 'each'
      ? "fitSoftmaxHead's 3-fold CV on each fit"
      : `${l2} for every fit (${opts.l2 === 'once' ? "fitSoftmaxHead's 3-fold CV once, on the whole labeled pool" : 'given'})`,
  uncertainty: 'margin: top-1 minus top-2 softmax probability, smallest first',
  pool: POOL,
  heldout: HELDOUT,
  step: STEP,
  seeds: SEEDS,
  featureWidth: width,
  rounds,
  at150: at(150)?.gain,
  at250: at(250)?.gain,
  randomFinalAccuracy: randomFinal,
  labelsToReachRandomFinal: { leastCertain: labelsToReach('leastCertain', randomFinal), random: labelsToReach('random', randomFinal) },
  featureSec,
  elapsedSec: (performance.now() - started) / 1000,
};

if (opts.svg) {
  const all = rounds.flatMap((r) => [
    r.leastCertain.mean - r.leastCertain.sd,
    r.random.mean - r.random.sd,
    r.leastCertain.mean + r.leastCertain.sd,
    r.random.mean + r.random.sd,
  ]);
  const yMin = Math.floor(Math.min(...all) * 20) / 20;
  const yMax = Math.ceil(Math.max(...all) * 20) / 20;
  const svg = lineChartSvg({
    title: `Active labeling, simulated: CIFAR-10 test images, ${POOL}-image pool`,
    xLabel: `images labeled (${STEP} per round)`,
    yLabel: `held-out accuracy (${HELDOUT} images)`,
    xTicks: [0, ...labeledCounts],
    yMin,
    yMax,
    yStep: 0.05,
    yFormat: (y) => `${Math.round(y * 100)}%`,
    series: [
      {
        name: 'least certain first (margin)',
        color: '#d9480f',
        points: rounds.map((r) => ({ x: r.labeled, y: r.leastCertain.mean, spread: r.leastCertain.sd })),
      },
      { name: 'random order', color: '#1c7ed6', points: rounds.map((r) => ({ x: r.labeled, y: r.random.mean, spread: r.random.sd })) },
    ],
    note: `Mean of ${SEEDS} seeds, band ±1 sd. Frozen pretrained 0.5x backbone (trained on CIFAR-10 train), softmax head refitted each round.`,
  });
  await writeFile(opts.svg, svg);
}
console.log(JSON.stringify(summary, null, opts.json ? undefined : 2));
