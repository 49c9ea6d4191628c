/**
 * The exported graph is shaped so ONNX Runtime can fuse it: every residual Add and every ReLU
 * ends up inside a convolution once ONNX Runtime has optimised the graph, and the graph itself
 * keeps the batch axis symbolic through the channel shuffle.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPreprocessing } from '../../../src-main/engine/data/preprocess';
import { onnxModelFromLayersModel } from '../../../src-main/engine/export/onnx';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import type { ModelConfig } from '../../../src-main/engine/types';
import { onnxSkipReason } from './checkpoint-fixture';
import { bytesOf, readFields, text, varintsOf } from './protobuf-reader';

interface GraphNode {
  opType: string;
  inputs: string[];
  output: string;
}

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-onnx-speed-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function exportBytes(config: ModelConfig): Uint8Array {
  const model = buildShuffleNetV1(config);
  try {
    return onnxModelFromLayersModel(model, {
      model: config,
      preprocessing: defaultPreprocessing({ format: 'image-folder', inputSize: config.inputSize }),
      classes: Array.from({ length: config.numClasses }, (_, i) => `c${i}`),
      epoch: 0,
    });
  } finally {
    model.dispose();
  }
}

function graphOf(bytes: Uint8Array): { nodes: GraphNode[]; int64s: Map<string, number[]> } {
  const graph = readFields(bytesOf(readFields(bytes), 7)[0]);
  const nodes = bytesOf(graph, 1).map((n) => {
    const f = readFields(n);
    const domain = bytesOf(f, 7).map(text)[0];
    return { opType: `${domain ? `${domain}.` : ''}${text(bytesOf(f, 4)[0])}`, inputs: bytesOf(f, 1).map(text), output: text(bytesOf(f, 2)[0]) };
  });
  const int64s = new Map<string, number[]>();
  for (const t of bytesOf(graph, 5)) {
    const f = readFields(t);
    if (varintsOf(f, 2)[0] !== 7) continue;
    const raw = bytesOf(f, 9)[0];
    const values = new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    int64s.set(text(bytesOf(f, 8)[0]), [...values].map(Number));
  }
  return { nodes, int64s };
}

const CONFIG: ModelConfig = { scale: 0.5, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 32 };

describe('exported graph', () => {
  it('copies the batch axis through every channel-shuffle reshape (0, not -1)', () => {
    const { nodes, int64s } = graphOf(exportBytes(CONFIG));
    const reshapes = nodes.filter((n) => n.opType === 'Reshape');
    expect(reshapes.length).toBe(2 * 16);
    for (const r of reshapes) expect(int64s.get(r.inputs[1])?.[0]).toBe(0);
  });

  it('applies the ReLU of a stride-2 unit to the conv branch before the concat, never to the concat', () => {
    const { nodes } = graphOf(exportBytes(CONFIG));
    const producer = new Map(nodes.map((n) => [n.output, n]));
    const concats = nodes.filter((n) => n.opType === 'Concat');
    expect(concats.length).toBe(3);
    for (const c of concats) {
      expect(c.inputs.map((i) => producer.get(i)?.opType)).toEqual(['AveragePool', 'Relu']);
      expect(producer.get(producer.get(c.inputs[1])!.inputs[0])?.opType).toBe('Conv');
    }
    for (const r of nodes.filter((n) => n.opType === 'Relu')) expect(producer.get(r.inputs[0])?.opType).not.toBe('Concat');
  });
});

const skip = onnxSkipReason();
if (skip) console.warn(skip);

describe.skipIf(skip)('ONNX Runtime optimisation of the export', () => {
  it('leaves no separate Add or Relu: all fused into the convolutions', async () => {
    const ort = createRequire(import.meta.url)('onnxruntime-node') as {
      InferenceSession: { create(model: Uint8Array, options: object): Promise<{ release(): Promise<void> }> };
    };
    const optimized = path.join(root, 'optimized.onnx');
    const session = await ort.InferenceSession.create(exportBytes(CONFIG), {
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      optimizedModelFilePath: optimized,
    });
    await session.release();
    const ops = graphOf(new Uint8Array(await readFile(optimized))).nodes.map((n) => n.opType);
    expect(ops.filter((op) => op.endsWith('Conv')).length).toBe(1 + 3 * 16);
    expect(ops).not.toContain('Add');
    expect(ops).not.toContain('Relu');
  });
});
