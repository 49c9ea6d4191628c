/**
 * Where does one training step of ShuffleNetV1 go? Profiles a step (forward in training mode,
 * softmax cross-entropy, tf.variableGrads, momentum SGD update) per kernel in CPU time
 * (bench/kernel-timer.ts), prints the kernels that take the most time and the training throughput, and on wasm measures the peak heap memory
 * a step needs per image (what the micro-batch size has to fit into the 4 GB wasm heap).
 *
 *   node --import tsx bench/step-profile.ts [--scale 2] [--groups 3] [--stem cifar] [--batch 8]
 *        [--steps 3] [--top 20] [--backend wasm] [--json]
 *
 * Memory: the wasm backend allocates every tensor with the module's _malloc; the script counts
 * live bytes through _malloc/_free during one step at batch/2 and one at batch, so the per-image
 * figure is the slope between the two peaks (XNNPACK's own packed-weight buffers, allocated inside
 * C++, are not counted; they do not grow with the batch).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../src-main/engine/backend';
import { buildShuffleNetV1 } from '../src-main/engine/model/shufflenet';
import type { Groups, Scale, Stem } from '../src-main/engine/types';
import { timeKernels } from './kernel-timer';

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

const info = await initBackend(opts.backend ? { prefer: opts.backend as BackendName } : {});
const model = buildShuffleNetV1({ scale: Number(opts.scale) as Scale, groups: Number(opts.groups) as Groups, numClasses, stem, inputSize });
const optimizer = tf.train.momentum(0.01, 0.9);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);

function makeBatch(n: number): { x: tf.Tensor; labels: tf.Tensor } {
  return {
    x: tf.randomNormal([n, inputSize, inputSize, 3]),
    labels: tf.oneHot(tf.randomUniform([n], 0, numClasses, 'int32') as tf.Tensor1D, numClasses),
  };
}

function step(data: { x: tf.Tensor; labels: tf.Tensor }): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(data.x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(data.labels, logits) as tf.Scalar;
    }, vars);
    optimizer.applyGradients(grads as Record<string, tf.Variable>);
    return value.dataSync()[0];
  });
}

interface WasmModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
}

/** Peak live bytes allocated through the wasm module's _malloc while `f` runs, above the start. */
function peakHeapBytes(wasm: WasmModule, f: () => void): number {
  const sizes = new Map<number, number>();
  let live = 0;
  let peak = 0;
  const { _malloc: malloc, _free: freeFn } = wasm;
  wasm._malloc = (n: number): number => {
    const p = malloc(n);
    sizes.set(p, n);
    live += n;
    peak = Math.max(peak, live);
    return p;
  };
  wasm._free = (p: number): void => {
    live -= sizes.get(p) ?? 0;
    sizes.delete(p);
    freeFn(p);
  };
  try {
    f();
  } finally {
    wasm._malloc = malloc;
    wasm._free = freeFn;
  }
  return peak;
}

const main = makeBatch(batch);
step(main);
const kernels = timeKernels(() => step(main));
const kernelTotal = kernels.reduce((sum, k) => sum + k.cpuMs, 0);
const ranked = kernels.slice(0, Number(opts.top));

// CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
const steps = Number(opts.steps);
const start = performance.now();
const cpuStart = process.cpuUsage();
for (let i = 0; i < steps; i++) step(main);
const cpu = process.cpuUsage(cpuStart);
const stepMs = (performance.now() - start) / steps;
const stepCpuMs = (cpu.user + cpu.system) / 1000 / steps;

const wasm = (tf.backend() as unknown as { wasm?: WasmModule }).wasm;
let memory: { peakBytesPerImage: number; peakBytesAtBatch: number; wasmHeapBytes: number } | null = null;
if (wasm) {
  const half = makeBatch(Math.max(1, batch / 2));
  step(half);
  const peakHalf = peakHeapBytes(wasm, () => step(half));
  const peakFull = peakHeapBytes(wasm, () => step(main));
  tf.dispose([half.x, half.labels]);
  const images = batch - Math.max(1, batch / 2);
  memory = {
    peakBytesPerImage: Math.round(images > 0 ? (peakFull - peakHalf) / images : peakFull / batch),
    peakBytesAtBatch: peakFull,
    wasmHeapBytes: wasm.HEAPU8.buffer.byteLength,
  };
}

const result = {
  backend: info.name,
  threads: info.threads,
  model: `ShuffleNetV1 ${opts.scale}x g${opts.groups} ${stem} ${inputSize}x${inputSize}`,
  batch,
  stepMs: Math.round(stepMs),
  stepCpuMs: Math.round(stepCpuMs),
  imagesPerSec: Number(((batch / stepMs) * 1000).toFixed(2)),
  imagesPerCpuSec: Number(((batch / stepCpuMs) * 1000).toFixed(2)),
  kernelCpuMs: Math.round(kernelTotal),
  memory,
  top: ranked.map((k) => ({ name: k.name, cpuMs: Number(k.cpuMs.toFixed(1)), calls: k.calls, share: Number((k.cpuMs / kernelTotal).toFixed(3)) })),
};

if (opts.json) {
  console.log(JSON.stringify(result));
} else {
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
  console.log(`${result.model}, batch ${batch}, backend ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'})`);
  console.log(
    `step ${result.stepMs} ms wall, ${result.stepCpuMs} ms cpu -> ${result.imagesPerSec} images/s (${result.imagesPerCpuSec} per cpu-second); ` +
      `kernels ${result.kernelCpuMs} ms cpu in the profiled step`,
  );
  if (memory) {
    console.log(
      `wasm heap: ${mb(memory.peakBytesPerImage)} per image (peak live ${mb(memory.peakBytesAtBatch)} above rest at batch ${batch}; heap ${mb(memory.wasmHeapBytes)})`,
    );
  }
  console.log('\n  cpu ms  share  calls  kernel');
  for (const k of result.top) {
    console.log(`${k.cpuMs.toFixed(1).padStart(8)}  ${(k.share * 100).toFixed(1).padStart(4)}%  ${String(k.calls).padStart(5)}  ${k.name}`);
  }
}
tf.dispose([main.x, main.labels]);
model.dispose();
