/**
 * Where does one training step of ShuffleNetV1 go? Profiles a step (forward in training mode,
 * softmax cross-entropy, tf.variableGrads, momentum update) per kernel and prints the kernels
 * that take the most time, the training throughput, and the peak memory per image.
 *
 *   node --import tsx bench/step-profile.ts [--scale 2] [--groups 3] [--stem cifar] [--batch 8]
 *        [--steps 3] [--top 20] [--backend wasm] [--json]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend';
import { buildShuffleNetV1 } from '../src-main/engine/model/shufflenet';
import type { Groups, Scale, Stem } from '../src-main/engine/types';

const { values: opts } = parseArgs({
  options: {
    scale: { type: 'string', default: '2' },
    groups: { type: 'string', default: '3' },
    stem: { type: 'string', default: 'cifar' },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '3' },
    top: { type: 'string', default: '20' },
    backend: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const stem = opts.stem as Stem;
const inputSize = stem === 'cifar' ? 32 : 224;
const batch = Number(opts.batch);
const numClasses = 10;

const info = await initBackend(opts.backend ? { prefer: opts.backend as never } : {});
const model = buildShuffleNetV1({ scale: Number(opts.scale) as Scale, groups: Number(opts.groups) as Groups, numClasses, stem, inputSize });
const optimizer = tf.train.momentum(0.01, 0.9);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const x = tf.randomNormal([batch, inputSize, inputSize, 3]);
const labels = tf.oneHot(tf.randomUniform([batch], 0, numClasses, 'int32') as tf.Tensor1D, numClasses);

function step(): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, vars);
    optimizer.applyGradients(grads as tf.NamedTensorMap & Record<string, tf.Variable>);
    return value.dataSync()[0];
  });
}

step();
const bytesAtRest = tf.memory().numBytes;
const profile = await tf.profile(() => {
  step();
});

const byKernel = new Map<string, { ms: number; calls: number }>();
for (const k of profile.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls += 1;
  byKernel.set(k.name, entry);
}
const kernelTotal = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
const ranked = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(opts.top));

const steps = Number(opts.steps);
const start = performance.now();
for (let i = 0; i < steps; i++) step();
const stepMs = (performance.now() - start) / steps;
const imagesPerSec = (batch / stepMs) * 1000;

const peakBytesPerImage = (profile.peakBytes - bytesAtRest) / batch;
const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
const wasmHeapBytes = backend.wasm?.HEAPU8.buffer.byteLength ?? null;

const result = {
  backend: info.name,
  threads: info.threads,
  model: `ShuffleNetV1 ${opts.scale}x g${opts.groups} ${stem} ${inputSize}x${inputSize}`,
  batch,
  stepMs: Math.round(stepMs),
  imagesPerSec: Number(imagesPerSec.toFixed(2)),
  kernelMs: Math.round(kernelTotal),
  peakBytesPerImage: Math.round(peakBytesPerImage),
  wasmHeapBytes,
  top: ranked.map(([name, e]) => ({ name, ms: Number(e.ms.toFixed(1)), calls: e.calls, share: Number((e.ms / kernelTotal).toFixed(3)) })),
};

if (opts.json) {
  console.log(JSON.stringify(result));
} else {
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
  console.log(`${result.model}, batch ${batch}, backend ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'})`);
  console.log(`step ${result.stepMs} ms (kernels ${result.kernelMs} ms in the profiled step) -> ${result.imagesPerSec} images/s`);
  console.log(`peak tensor memory above the model at rest: ${mb(peakBytesPerImage)} per image` + (wasmHeapBytes ? `; wasm heap now ${mb(wasmHeapBytes)}` : ''));
  console.log('\n  ms      share  calls  kernel');
  for (const k of result.top) {
    console.log(`${k.ms.toFixed(1).padStart(8)}  ${(k.share * 100).toFixed(1).padStart(5)}%  ${String(k.calls).padStart(5)}  ${k.name}`);
  }
}
tf.dispose([x, labels]);
model.dispose();
