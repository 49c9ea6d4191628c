/**
 * Child process of the WebGPU training tests (the Vulkan loader is found only at start-up, see
 * test/engine/runtime/software-vulkan.ts). Prints one JSON line.
 * Usage: train-on-device.child.ts grads  — one training pass's outputs on webgpu (one DeviceSession) and on the cpu provider
 *        train-on-device.child.ts steps  — three SGD steps of OnnxTrainer on webgpu and on the cpu replicas
 *        train-on-device.child.ts resume <dir> — 2 epochs straight on the cpu; epoch 1 on webgpu resumed
 *          on the cpu; epoch 1 on the cpu resumed on webgpu (the device in the training config, as `train --device`
 *          sets it; SHUFFLENET_DEVICE names the other one, so a config that did not reach the trainer shows)
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import type { BatchNorm2d } from '../../../src-main/engine/model/batch-norm';
import { encodeOnnxModel } from '../../../src-main/engine/onnx/onnx-proto';
import { createOnnxSession, runOnnxNamed } from '../../../src-main/engine/onnx/onnx-runtime';
import { DeviceSession } from '../../../src-main/engine/ort-train/device-session';
import { OnnxTrainer } from '../../../src-main/engine/ort-train/onnx-trainer';
import {
  buildTrainingGraph,
  gradOutput,
  TRAIN_GRAD_SCALE,
  TRAIN_INPUT,
  TRAIN_INV_BATCH,
  TRAIN_TARGET,
} from '../../../src-main/engine/ort-train/training-graph';
import { MomentumSgd } from '../../../src-main/engine/step/sgd';
import { withSeededRandom } from '../../../src-main/engine/train/seeded-init';
import type { ModelConfig, Preprocessing, TrainEvent } from '../../../src-main/engine/types';
import { defaultTrainConfig, train } from '../../../src-main/engine/jobs/train';
import { makeImageFolder } from '../../fixtures/image-folder';

await tf.setBackend('cpu');
const mode = process.argv[2];
// Every layer type of the training graph (cifar stem, groups 3, stride-2 units), small enough for SwiftShader.
const config: ModelConfig = { scale: 0.5, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 16 };
const batch = 8;

let seed = 3;
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

/** Squared difference and squared reference norm of one output (the whole vectors are ~10 MB of JSON). */
function compare(name: string, a: Float32Array, b: Float32Array) {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return { name, length: a.length, expected: b.length, diff, norm };
}

if (mode === 'grads') {
  const model = withSeededRandom(7, () => buildShuffleNetV1(config));
  const epsilon = (name: string) => (model.getLayer(name) as BatchNorm2d).epsilon;
  const graph = buildTrainingGraph(config, epsilon, batch);
  const byName = new Map(model.trainableWeights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
  const total = graph.params.reduce((sum, p) => sum + byName.get(p.name)!.length, 0);
  const buffer = new SharedArrayBuffer(total * 4);
  let offset = 0;
  const layout = graph.params.map(({ name, shape }) => {
    const value = byName.get(name)!;
    new Float32Array(buffer, offset * 4, value.length).set(value);
    const entry = { name, offset, length: value.length, shape };
    offset += value.length;
    return entry;
  });
  const c = config.numClasses;
  const target = new Float32Array(batch * c).fill(0.01);
  for (let i = 0; i < batch; i++) target[i * c + (i % c)] = 0.91;
  const feeds = {
    [TRAIN_INPUT]: { data: Float32Array.from({ length: batch * 3 * 16 * 16 }, () => random() * 4 - 2), dims: [batch, 3, 16, 16] },
    [TRAIN_TARGET]: { data: target, dims: [batch, c] },
    [TRAIN_GRAD_SCALE]: { data: Float32Array.of(1 / batch), dims: [1] },
    [TRAIN_INV_BATCH]: { data: Float32Array.of(1 / batch), dims: [1] },
  };
  const bytes = encodeOnnxModel(graph.model);
  const gpu = await DeviceSession.open('webgpu', { fixed: bytes, any: bytes }, { buffer, layout });
  const started = Date.now();
  const [onGpu] = await gpu.run([{ graph: 'fixed', feeds, weightsVersion: 0 }]);
  const gpuMs = Date.now() - started;
  await gpu.close();
  const cpu = await createOnnxSession(bytes, { device: 'cpu' });
  const all: Record<string, { data: Float32Array; dims: readonly number[] }> = { ...feeds };
  for (const p of layout) all[p.name] = { data: new Float32Array(buffer).slice(p.offset, p.offset + p.length), dims: p.shape };
  const onCpu = await runOnnxNamed(cpu, all);
  await cpu.release();
  const tensors = graph.params.map(({ name }) => compare(name, onGpu[gradOutput(name)], onCpu[gradOutput(name)]));
  // The other outputs too: logits, and the batch statistics that the moving averages take.
  const others = Object.keys(onCpu)
    .filter((name) => !graph.params.some((p) => gradOutput(p.name) === name))
    .map((name) => compare(name, onGpu[name], onCpu[name]));
  process.stdout.write(`${JSON.stringify({ tensors, others, gpuMs, weights: total })}\n`);
} else if (mode === 'steps') {
  const prep: Preprocessing = { storeSize: 16, inputSize: 16, fit: 'cover', mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };
  const pixels = Array.from({ length: 3 }, () => Uint8Array.from({ length: batch * 16 * 16 * 3 }, () => Math.floor(random() * 256)));
  const labels = Array.from({ length: 3 }, (_, step) => Int32Array.from({ length: batch }, (_, i) => (i * 3 + step) % config.numClasses));
  const result: Record<string, { detail: string; losses: number[] }> = {};
  for (const device of ['webgpu', 'cpu'] as const) {
    const model = withSeededRandom(7, () => buildShuffleNetV1(config));
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const sgd = new MomentumSgd(
      model.trainableWeights.map((w, i) => ({ name: w.originalName, variable: variables[i] })),
      { momentum: 0.9, weightDecay: 5e-4 },
    );
    // Two micro-batches of 4: one session runs both in turn on webgpu, two replicas on the cpu.
    const trainer = await OnnxTrainer.create(model, config, variables, sgd, { batchSize: batch, microBatchSize: 4, device });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const { lossSum, count } = await trainer.step(pixels[step], labels[step], 0.02, { prep, labelSmoothing: 0.1 });
      losses.push(lossSum / count);
    }
    result[device] = { detail: trainer.detail, losses };
    await trainer.dispose();
    sgd.dispose();
    model.dispose();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else if (mode === 'resume') {
  const dir = process.argv[3];
  const dataset = path.join(dir, 'data');
  await makeImageFolder(dataset, { classes: ['a', 'b'], perClass: 10, size: 16 });
  const trainConfig = (out: string, device: 'cpu' | 'webgpu') =>
    defaultTrainConfig({
      dataset,
      outDir: path.join(dir, out),
      scale: 0.25,
      inputSize: 16,
      epochs: 2,
      batchSize: 8,
      lr: 0.01,
      warmupEpochs: 0,
      runtime: 'onnx',
      seed: 5,
      device,
    });
  const other = { cpu: 'webgpu', webgpu: 'cpu' } as const;
  /** The run's start and epoch events, on `first`, then (when given) stopped after epoch 1 and resumed on `second`. */
  const run = async (out: string, first: 'cpu' | 'webgpu', second?: 'cpu' | 'webgpu') => {
    const events: TrainEvent[] = [];
    const keep = (e: TrainEvent) => (e.type === 'start' || e.type === 'epoch') && events.push(e);
    process.env.SHUFFLENET_DEVICE = other[first];
    const stop = new AbortController();
    const ended = await train(trainConfig(out, first), {
      signal: second ? stop.signal : undefined,
      onEvent: (e) => {
        keep(e);
        if (second && e.type === 'checkpoint' && e.epoch === 1) stop.abort();
      },
    });
    if (!second) return { events, checkpoint: ended.checkpoint };
    process.env.SHUFFLENET_DEVICE = other[second];
    const resumed = await train(trainConfig(out, second), { resume: true, onEvent: keep });
    return { events, stoppedAt: ended.checkpoint, checkpoint: resumed.checkpoint };
  };
  const straight = await run('straight', 'cpu');
  const gpuThenCpu = await run('gpu-cpu', 'webgpu', 'cpu');
  const cpuThenGpu = await run('cpu-gpu', 'cpu', 'webgpu');
  process.stdout.write(`${JSON.stringify({ straight, gpuThenCpu, cpuThenGpu })}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
