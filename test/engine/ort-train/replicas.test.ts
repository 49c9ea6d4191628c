import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildMain } from '../../../scripts/build-main.mjs';
import { encodeOnnxModel } from '../../../src-main/engine/onnx/onnx-proto';
import type { ReplicaReply, ReplicaRequest, SharedParam } from '../../../src-main/engine/ort-train/replica-protocol';
import { ReplicaPool } from '../../../src-main/engine/ort-train/replicas';
import { maxTrainingReplicas } from '../../../src-main/engine/step/replica-count';
import {
  buildTrainingGraph,
  TRAIN_GRAD_SCALE,
  TRAIN_INPUT,
  TRAIN_INV_BATCH,
  TRAIN_LOGITS,
  TRAIN_TARGET,
} from '../../../src-main/engine/ort-train/training-graph';
import { createOnnxSession, onnxRuntimeStatus, runOnnxNamed } from '../../../src-main/engine/onnx/onnx-runtime';
import type { ModelConfig } from '../../../src-main/engine/types';

const onnx = onnxRuntimeStatus();
if (!onnx.available) console.warn(`Skipping the training replica tests: ${onnx.reason}`);

const root = fileURLToPath(new URL('../../..', import.meta.url));
const config: ModelConfig = { scale: 0.25, groups: 3, numClasses: 5, stem: 'cifar', inputSize: 8 };
const batch = 2;

/** Seeded weights for the training graph, laid out in one shared buffer as the trainer does. */
function sharedWeights(): { buffer: SharedArrayBuffer; layout: SharedParam[] } {
  const { params } = buildTrainingGraph(config, () => 1e-3);
  const layout: SharedParam[] = [];
  let offset = 0;
  for (const { name, shape } of params) {
    const length = shape.reduce((a, b) => a * b, 1);
    layout.push({ name, offset, length, shape });
    offset += length;
  }
  const buffer = new SharedArrayBuffer(offset * 4);
  const values = new Float32Array(buffer);
  for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 12.9898) * 0.3;
  return { buffer, layout };
}

function feeds() {
  const input = Float32Array.from({ length: batch * 3 * 64 }, (_, i) => Math.cos(i * 0.7));
  const target = new Float32Array(batch * 5).fill(0.02);
  target[1] = target[5 + 3] = 0.92;
  return {
    [TRAIN_INPUT]: { data: input, dims: [batch, 3, 8, 8] },
    [TRAIN_TARGET]: { data: target, dims: [batch, 5] },
    [TRAIN_GRAD_SCALE]: { data: Float32Array.of(1 / batch), dims: [1] },
    [TRAIN_INV_BATCH]: { data: Float32Array.of(1 / batch), dims: [1] },
  };
}

const graphs = () => ({
  fixed: encodeOnnxModel(buildTrainingGraph(config, () => 1e-3, batch).model),
  any: encodeOnnxModel(buildTrainingGraph(config, () => 1e-3).model),
});

/** ||a - b|| / ||b||. */
function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** The graph run in this thread, for comparison. */
async function inProcess(weights: { buffer: SharedArrayBuffer; layout: SharedParam[] }): Promise<Record<string, Float32Array>> {
  const session = await createOnnxSession(graphs().any);
  const all = { ...feeds() } as Record<string, { data: Float32Array; dims: readonly number[] }>;
  for (const p of weights.layout) all[p.name] = { data: new Float32Array(weights.buffer).slice(p.offset, p.offset + p.length), dims: p.shape };
  try {
    return await runOnnxNamed(session, all);
  } finally {
    await session.release();
  }
}

describe('training replicas', () => {
  const saved = process.env.SHUFFLENET_TRAIN_REPLICAS;
  afterEach(() => {
    if (saved === undefined) delete process.env.SHUFFLENET_TRAIN_REPLICAS;
    else process.env.SHUFFLENET_TRAIN_REPLICAS = saved;
  });

  it('take their count from SHUFFLENET_TRAIN_REPLICAS and reject a count that is not 1 to 8', () => {
    process.env.SHUFFLENET_TRAIN_REPLICAS = '3';
    expect(maxTrainingReplicas()).toBe(3);
    for (const bad of ['0', '9', '1.5', 'two']) {
      process.env.SHUFFLENET_TRAIN_REPLICAS = bad;
      expect(() => maxTrainingReplicas()).toThrow(`SHUFFLENET_TRAIN_REPLICAS="${bad}" must be a whole number from 1 to 8`);
    }
  });

  it.skipIf(!onnx.available)('run every job on its own replica and return the outputs in job order, as one session would', async () => {
    const weights = sharedWeights();
    const expected = await inProcess(weights);
    const pool = await ReplicaPool.open(2, graphs(), weights);
    try {
      expect(pool.size).toBe(2);
      const [fixed, anySize, again] = await pool.run([
        { graph: 'fixed', feeds: feeds(), weightsVersion: 0 },
        { graph: 'any', feeds: feeds(), weightsVersion: 0 },
        { graph: 'fixed', feeds: feeds(), weightsVersion: 0 },
      ]);
      for (const out of [fixed, anySize, again]) {
        expect(Object.keys(out).sort()).toEqual(Object.keys(expected).sort());
        for (const [name, values] of Object.entries(expected)) expect(relativeError(out[name], values), name).toBeLessThan(1e-5);
      }
      // New weights reach every replica once their version changes.
      new Float32Array(weights.buffer).fill(0.01);
      const stale = (await pool.run([{ graph: 'fixed', feeds: feeds(), weightsVersion: 0 }]))[0];
      const fresh = (await pool.run([{ graph: 'fixed', feeds: feeds(), weightsVersion: 1 }]))[0];
      expect(stale[TRAIN_LOGITS]).toEqual(fixed[TRAIN_LOGITS]);
      expect(relativeError(fresh[TRAIN_LOGITS], (await inProcess(weights))[TRAIN_LOGITS])).toBeLessThan(1e-5);
    } finally {
      await pool.close();
    }
  });

  it.skipIf(!onnx.available)('report a graph ONNX Runtime cannot open, and stop their workers', async () => {
    const broken = { fixed: Uint8Array.of(1, 2, 3), any: Uint8Array.of(1, 2, 3) };
    await expect(ReplicaPool.open(2, broken, sharedWeights())).rejects.toThrow(/protobuf|parse|model/i);
  });

  describe('in the app bundle', () => {
    // Inside the repository, so the bundle finds onnxruntime-node in node_modules as the app's does.
    const cache = join(root, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const outDir = mkdtempSync(join(cache, 'replica-bundle-'));
    afterAll(() => rmSync(outDir, { recursive: true, force: true }));

    it.skipIf(!onnx.available)('the compiled replica worker runs the graph', async () => {
      await buildMain({ only: ['replica-worker'], outDir, quiet: true });
      const worker = new Worker(join(outDir, 'ml-host', 'replica-worker.js'), { workerData: { threads: 1 } });
      const ask = (request: ReplicaRequest) =>
        new Promise<ReplicaReply>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage(request);
        });
      try {
        const weights = sharedWeights();
        expect(await ask({ type: 'open', graphs: graphs() })).toMatchObject({ type: 'opened' });
        expect(await ask({ type: 'params', ...weights })).toEqual({ type: 'done' });
        const reply = await ask({ type: 'run', graph: 'fixed', feeds: feeds(), weightsVersion: 0 });
        expect(reply.type).toBe('outputs');
        const logits = reply.type === 'outputs' ? reply.outputs[TRAIN_LOGITS] : new Float32Array();
        expect(relativeError(logits, (await inProcess(weights))[TRAIN_LOGITS])).toBeLessThan(1e-5);
      } finally {
        await worker.terminate();
      }
    });
  });
});
