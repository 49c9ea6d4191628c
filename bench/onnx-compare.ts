/**
 * ONNX Runtime on several ONNX files side by side, each timed by the same function in alternating
 * rounds (bench/onnx-timer.ts): for before/after comparisons of the exporter or session options.
 *
 *   node --import tsx bench/onnx-compare.ts [--engine] [--engine-portable] [--pytorch] [--stem cifar]
 *        [--batch 256] [--threads 2] [--iters 2] [--rounds 5] [--save DIR] [FILE.onnx ...]
 *
 * --engine adds the engine's ONNX graph of ShuffleNetV1 2.0x, groups 3 (random weights) as
 * evaluation and prediction open it (tuned for this CPU), --engine-portable the same model as an
 * exported file holds it; --pytorch adds PyTorch's export of the same model
 * (../shared/bench/pytorch_shufflenet.py); --save keeps those files in DIR. Input size follows
 * the stem (32 cifar, 224 imagenet).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildShuffleNetV1 } from '../src-main/engine/model/shufflenet';
import type { ModelConfig, Stem } from '../src-main/engine/types';
import { engineOnnxBytes, exportPytorchOnnx, tempExportDir, timeOnnxModels } from './onnx-timer';

const { values: opts, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    engine: { type: 'boolean', default: false },
    'engine-portable': { type: 'boolean', default: false },
    pytorch: { type: 'boolean', default: false },
    stem: { type: 'string', default: 'cifar' },
    batch: { type: 'string' },
    threads: { type: 'string', default: '2' },
    iters: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    save: { type: 'string' },
  },
});

const stem = opts.stem as Stem;
const size = stem === 'cifar' ? 32 : 224;
const batch = Number(opts.batch ?? (stem === 'cifar' ? 256 : 32));
const SHARED_BENCH = process.env.SHUFFLENET_BENCH_REFS ?? path.resolve(import.meta.dirname, '../../shared/bench');
const models: { name: string; model: string | Uint8Array }[] = files.map((f) => ({ name: f, model: path.resolve(f) }));
const temp = await tempExportDir();
try {
  if (opts.save) await mkdir(opts.save, { recursive: true });
  if (opts.engine || opts['engine-portable']) {
    await tf.setBackend('cpu');
    const config: ModelConfig = { scale: 2, groups: 3, numClasses: 10, stem, inputSize: size };
    const model = buildShuffleNetV1(config);
    for (const portable of [false, true]) {
      if (!(portable ? opts['engine-portable'] : opts.engine)) continue;
      const bytes = engineOnnxBytes(model, config, portable);
      const name = portable ? 'engine-portable' : 'engine';
      models.push({ name: portable ? "engine's exported file" : "engine's runtime graph", model: bytes });
      if (opts.save) await writeFile(path.join(opts.save, `${name}-${stem}-${size}.onnx`), bytes);
    }
    model.dispose();
  }
  if (opts.pytorch) {
    const ref = exportPytorchOnnx(SHARED_BENCH, stem, size, temp.dir);
    if ('skipped' in ref) throw new Error(`PyTorch's export: ${ref.skipped}`);
    models.push({ name: "PyTorch's export", model: ref.file });
    if (opts.save) await copyFile(ref.file, path.join(opts.save, path.basename(ref.file)));
  }
  if (models.length === 0) throw new Error('nothing to time: give .onnx files, --engine or --pytorch');
  const timings = await timeOnnxModels(
    models.map((m) => m.model),
    { batch, inputSize: size, iters: Number(opts.iters), rounds: Number(opts.rounds), threads: Number(opts.threads) },
  );
  if (!timings) throw new Error('onnxruntime-node does not load');
  console.log(`ONNX Runtime, ${stem}@${size}, batch ${batch}, ${opts.threads} threads, ${opts.rounds} rounds of ${opts.iters} runs`);
  // Each round times every model back to back, so a per-round ratio cancels most of the load drift.
  const roundRatios = (i: number) => timings[i].rounds.map((v, r) => v / timings[0].rounds[r]).sort((a, b) => a - b);
  models.forEach((m, i) => {
    const t = timings[i];
    const ratios = roundRatios(i);
    const ratio = i === 0 ? '' : `\tvs first: median per-round ratio ${ratios[Math.floor(ratios.length / 2)].toFixed(3)}`;
    console.log(`${m.name}\tmedian ${t.imagesPerSec.toFixed(2)} images/s\trounds ${t.rounds.map((v) => v.toFixed(1)).join(' ')}${ratio}`);
  });
} finally {
  await temp.remove();
}
