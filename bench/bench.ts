/**
 * Training and inference throughput of the app's engine for ShuffleNetV1 (2.0x, groups 3, unless
 * --scale says otherwise) with both stems, on the backend the engine picks (or --backend). With
 * --compare it also runs the PyTorch reference (../shared/bench/pytorch_shufflenet.py, Debian's
 * python3-torch) at the same width in the same sitting and prints the ratios; ONNX Runtime joins
 * when onnxruntime-node resolves.
 *
 *   npm run bench -- [--compare] [--scale 2.0] [--stems cifar,imagenet] [--steps 2] [--warmup 2] [--train-runtime auto|onnx|tfjs]
 *                    [--ort-threads 2] [--ort-rounds 3] [--device auto|cuda|webgpu|cpu] [--json]
 *
 * The training step is the one the app runs (micro-batch accumulation, label-smoothed loss,
 * momentum SGD with weight decay) at its default batch size: on ONNX Runtime's training graph
 * (OnnxTrainer) where it loads, else tfjs's trainStep, as `--train-runtime` and the app's 'auto'
 * rule decide. tfjs inference is model.predict.
 * The app's model-only inference is ONNX Runtime on its own export; with --compare it is timed
 * against ONNX Runtime on PyTorch's export of the same model, both files through one timing
 * function in alternating rounds (bench/onnx-timer.ts); inferRatio is the median of the per-round
 * ratios, the raw images/s (medians and every round) stand beside it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../src-main/engine/backend';
import { defaultPreprocessing } from '../src-main/engine/data/preprocess';
import { buildShuffleNetV1 } from '../src-main/engine/model/shufflenet';
import { defaultTrainConfig } from '../src-main/engine/train/config';
import { chooseMicroBatchSize } from '../src-main/engine/step/micro-batch';
import { MomentumSgd } from '../src-main/engine/step/sgd';
import { trainStep } from '../src-main/engine/train/train-step';
import { OnnxTrainer } from '../src-main/engine/ort-train/onnx-trainer';
import { deviceLabel, pickDevice, requestedDevice } from '../src-main/engine/runtime/devices';
import { onnxRuntimeStatus } from '../src-main/engine/onnx/onnx-runtime';
import type { ModelConfig, Scale, Stem } from '../src-main/engine/types';
import { engineOnnxBytes, exportPytorchOnnx, tempExportDir, timeOnnxModels, type OnnxTiming } from './onnx-timer';

const { values: opts } = parseArgs({
  options: {
    compare: { type: 'boolean', default: false },
    scale: { type: 'string', default: '2' },
    stems: { type: 'string', default: 'cifar,imagenet' },
    steps: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    'train-batch': { type: 'string' },
    backend: { type: 'string' },
    'train-runtime': { type: 'string', default: 'auto' },
    // ONNX Runtime's inference device (auto|cuda|webgpu|cpu; default env SHUFFLENET_DEVICE, else auto); training stays on the CPU.
    device: { type: 'string' },
    'ort-threads': { type: 'string', default: '2' },
    'ort-rounds': { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});

const SHARED_BENCH = process.env.SHUFFLENET_BENCH_REFS ?? path.resolve(import.meta.dirname, '../../shared/bench');
const defaults = defaultTrainConfig({ dataset: '', outDir: '' });
const steps = Number(opts.steps);
/** Width multiplier of the model every runtime times (the tutorial's 2.0x by default); buildShuffleNetV1 rejects unsupported ones. */
const scale = Number(opts.scale) as Scale;
/** Untimed steps before the timed ones, for the engine and the references alike (ONNX Runtime's second run still grows its memory). */
const warmup = Number(opts.warmup);
const log = (text: string) => process.stderr.write(`${text}\n`);

interface Measure {
  stem: Stem;
  size: number;
  mode: 'train' | 'infer';
  batch: number;
  imagesPerSec: number;
  /** Training only: what ran the steps (`onnxruntime-node 1.30.0 (cpu)` or the tfjs backend). */
  runtime?: string;
  /** Inference only: ONNX Runtime on the app's ONNX export of the same model, when it loads. */
  onnxruntime?: number | null;
}

/** ONNX Runtime on the app's export vs on PyTorch's export, same batch, threads and rounds. */
interface OnnxComparison {
  stem: Stem;
  size: number;
  batch: number;
  threads: number;
  engineExport: OnnxTiming;
  pytorchExport: OnnxTiming | null;
  /** Why PyTorch's export was not timed, when it was not. */
  skipped?: string;
}

const onnxComparisons: OnnxComparison[] = [];

/** Times ONNX Runtime on the app's export of `model` and, with --compare, on PyTorch's export of the same architecture. */
async function timeOnnxExports(model: tf.LayersModel, config: ModelConfig, batch: number): Promise<number | null> {
  const { stem, inputSize: size } = config;
  const threads = Number(opts['ort-threads']);
  const device = onnxRuntimeStatus().available ? (await pickDevice(requestedDevice(opts.device))).device : null;
  if (device) log(`ONNX Runtime inference on ${deviceLabel(device)}`);
  const timing = { batch, inputSize: size, iters: steps, rounds: Number(opts['ort-rounds']), threads, device: device?.name };
  // The CPU gets the graph tuned for its NCHWc kernels; a GPU the plain one (as the app opens them).
  const ours = engineOnnxBytes(model, config, device !== null && device.name !== 'cpu');
  let reference: { file: string } | { skipped: string } = { skipped: 'run with --compare' };
  const temp = await tempExportDir();
  try {
    if (opts.compare) reference = exportPytorchOnnx(SHARED_BENCH, stem, size, temp.dir, config.scale);
    const files = 'file' in reference ? [ours, reference.file] : [ours];
    const timings = await timeOnnxModels(files, timing);
    if (!timings) {
      log('onnxruntime-node does not load: ONNX Runtime timings skipped');
      return null;
    }
    const skipped = 'skipped' in reference ? reference.skipped : undefined;
    onnxComparisons.push({ stem, size, batch, threads, engineExport: timings[0], pytorchExport: timings[1] ?? null, skipped });
    const rounds = (t: OnnxTiming) => `${t.imagesPerSec.toFixed(2)} images/s (rounds ${t.rounds.map((v) => v.toFixed(1)).join(', ')})`;
    log(`onnxruntime-node ${threads} threads, engine's export, ${stem}@${size} batch ${batch}: ${rounds(timings[0])}`);
    if (timings[1]) log(`onnxruntime-node ${threads} threads, PyTorch's export, ${stem}@${size} batch ${batch}: ${rounds(timings[1])}`);
    if (skipped && opts.compare) log(`PyTorch's ONNX export skipped: ${skipped}`);
    return timings[0].imagesPerSec;
  } finally {
    await temp.remove();
  }
}

const INFER_BATCH: Record<Stem, number> = { cifar: 256, imagenet: 32 };

async function timeEngine(stem: Stem, backend: string): Promise<Measure[]> {
  const size = stem === 'cifar' ? 32 : 224;
  const config: ModelConfig = { scale, groups: 3, numClasses: 10, stem, inputSize: size };
  const model = buildShuffleNetV1(config);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sgd = new MomentumSgd(
    model.trainableWeights.map((w, i) => ({ name: w.originalName, variable: variables[i] })),
    {
      momentum: defaults.momentum,
      weightDecay: defaults.weightDecay,
    },
  );
  const batch = Number(opts['train-batch'] ?? defaults.batchSize);
  const runtime = opts['train-runtime'];
  const native = backend === 'tensorflow' || backend === 'tensorflow-gpu';
  const useOnnx = runtime === 'onnx' || (runtime === 'auto' && !native && onnxRuntimeStatus().available);
  const microBatchSize = chooseMicroBatchSize({ backend, batchSize: batch, requested: 'auto', model, onnx: useOnnx });
  const trainer = useOnnx ? await OnnxTrainer.create(model, config, variables, sgd, { batchSize: batch, microBatchSize }) : null;
  const prep = { ...defaultPreprocessing({ format: 'image-folder', inputSize: size }), storeSize: size };
  const pixels = Uint8Array.from({ length: batch * size * size * 3 }, (_, i) => (i * 7919) % 256);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
  const ctx = { model, variables, sgd, prep, labelSmoothing: defaults.labelSmoothing, microBatchSize };
  const step = () => (trainer ? trainer.step(pixels, labels, 0.01, { prep, labelSmoothing: defaults.labelSmoothing }) : trainStep(ctx, pixels, labels, 0.01));

  for (let i = 0; i < warmup; i++) await step();
  let elapsed = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    elapsed += performance.now() - t0;
  }
  await trainer?.dispose();
  const trainedOn = trainer ? trainer.detail : backend;
  const train = { stem, size, mode: 'train' as const, batch, imagesPerSec: (batch * steps) / (elapsed / 1000), runtime: trainedOn };
  log(`engine ${trainedOn} train ${stem}@${size} batch ${batch} (micro-batch ${microBatchSize}): ${train.imagesPerSec.toFixed(2)} images/s`);

  const inferBatch = INFER_BATCH[stem];
  const x = tf.randomNormal([inferBatch, size, size, 3]);
  const run = async () => {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  for (let i = 0; i < warmup; i++) await run();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await run();
  const infer = { stem, size, mode: 'infer' as const, batch: inferBatch, imagesPerSec: (inferBatch * steps) / ((performance.now() - t0) / 1000) };
  log(`engine ${backend} infer ${stem}@${size} batch ${inferBatch}: ${infer.imagesPerSec.toFixed(2)} images/s`);
  const onnxruntime = await timeOnnxExports(model, config, inferBatch);
  x.dispose();
  sgd.dispose();
  model.dispose();
  return [train, { ...infer, onnxruntime }];
}

function timePytorch(m: Omit<Measure, 'imagesPerSec'>): number | null {
  const script = path.join(SHARED_BENCH, 'pytorch_shufflenet.py');
  if (!existsSync(script) || !existsSync('/usr/bin/python3')) return null;
  const args = [
    script,
    'bench',
    '--mode',
    m.mode,
    '--stem',
    m.stem,
    '--size',
    String(m.size),
    '--batch',
    String(m.batch),
    '--scale',
    String(scale),
    '--iters',
    String(steps),
    '--warmup',
    String(warmup),
  ];
  const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (result.status !== 0) {
    log(`pytorch ${m.mode} ${m.stem}: failed (${result.stderr.trim().split('\n').pop()})`);
    return null;
  }
  const value = JSON.parse(result.stdout.trim().split('\n').pop()!).images_per_s as number;
  log(`pytorch ${m.mode} ${m.stem}@${m.size} batch ${m.batch}: ${value} images/s`);
  return value;
}

const info = await initBackend(opts.backend ? { prefer: opts.backend as BackendName } : {});
const stems = opts.stems.split(',') as Stem[];
const rows: (Measure & { pytorch: number | null })[] = [];
for (const stem of stems) {
  for (const m of await timeEngine(stem, info.name)) {
    rows.push({ ...m, pytorch: opts.compare ? timePytorch(m) : null });
  }
}

const ratio = (mode: 'train' | 'infer', stem: Stem) => {
  const row = rows.find((r) => r.mode === mode && r.stem === stem);
  return row?.pytorch ? row.imagesPerSec / row.pytorch : null;
};
/** Median over rounds of engine / PyTorch: each round times both back to back, so load drift between rounds cancels. */
const onnxRatio = (stem: Stem) => {
  const c = onnxComparisons.find((o) => o.stem === stem);
  if (!c?.pytorchExport) return null;
  const reference = c.pytorchExport.rounds;
  const ratios = c.engineExport.rounds.map((v, r) => v / reference[r]).sort((a, b) => a - b);
  const mid = ratios.length / 2;
  return ratios.length % 2 ? ratios[Math.floor(mid)] : (ratios[mid - 1] + ratios[mid]) / 2;
};
console.log(['what', 'batch', 'engine images/s', 'pytorch images/s', 'ratio', 'onnxruntime images/s'].join('\t'));
for (const r of rows) {
  const ort = r.onnxruntime ? r.onnxruntime.toFixed(2) : '-';
  console.log(
    [
      `${r.mode} ${r.stem}@${r.size}`,
      r.batch,
      r.imagesPerSec.toFixed(2),
      r.pytorch ?? '-',
      r.pytorch ? (r.imagesPerSec / r.pytorch).toFixed(3) : '-',
      ort,
    ].join('\t'),
  );
}
if (onnxComparisons.length > 0) {
  console.log(['onnxruntime', 'batch', 'threads', "engine's export images/s", "pytorch's export images/s", 'ratio'].join('\t'));
  for (const c of onnxComparisons) {
    const ratio = onnxRatio(c.stem);
    console.log(
      [
        `infer ${c.stem}@${c.size}`,
        c.batch,
        c.threads,
        c.engineExport.imagesPerSec.toFixed(2),
        c.pytorchExport?.imagesPerSec.toFixed(2) ?? '-',
        ratio?.toFixed(3) ?? '-',
      ].join('\t'),
    );
  }
}
if (opts.json) {
  console.log(
    JSON.stringify({
      backend: info.name,
      scale,
      threads: info.threads,
      trainRatio: ratio('train', 'cifar'),
      trainRatioImagenet: ratio('train', 'imagenet'),
      inferRatio: onnxRatio('cifar'),
      inferRatioImagenet: onnxRatio('imagenet'),
      inferRatioPytorch: ratio('infer', 'cifar'),
      inferOnnx: onnxComparisons.map((c) => ({
        stem: c.stem,
        size: c.size,
        batch: c.batch,
        threads: c.threads,
        engineExport: c.engineExport.imagesPerSec,
        pytorchExport: c.pytorchExport?.imagesPerSec ?? null,
        engineExportRounds: c.engineExport.rounds,
        pytorchExportRounds: c.pytorchExport?.rounds ?? null,
        ...(c.skipped ? { skipped: c.skipped } : {}),
      })),
      rows,
    }),
  );
}
