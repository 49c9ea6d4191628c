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
import { bottleneckPadding, padPw2Inputs, padRows } from '../../../src-main/engine/onnx/nchwc-padding';
import { onnxModelBytes, onnxModelFromLayersModel } from '../../../src-main/engine/export/onnx';
import { compareOnnxWithTfjs } from '../../../src-main/engine/export/verify';
import { networkPlan } from '../../../src-main/engine/model/arch';
import { buildShuffleNetV1 } from '../../../src-main/engine/model/shufflenet';
import { nchwcBlockSize } from '../../../src-main/engine/onnx/onnx-runtime';
import type { ModelConfig } from '../../../src-main/engine/types';
import { onnxSkipReason, writeCheckpoint } from './checkpoint-fixture';
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

describe('NCHWc padding of the bottleneck', () => {
  const plan = networkPlan({ scale: 2, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 32 });

  it('pads 2.0x groups 3 stage 2 from 40 to 48 channels per group and leaves whole-block stages alone', () => {
    const widths = plan.units.map((u) => bottleneckPadding(u, 16)?.groupWidth ?? null);
    expect(widths).toEqual([48, 48, 48, 48, ...Array(12).fill(null)]);
    // AVX2's 8-channel blocks already divide 40; block 1 means no blocked layout; groups 1 has no shuffle to pad.
    expect(plan.units.map((u) => bottleneckPadding(u, 8)).every((p) => p === null)).toBe(true);
    expect(plan.units.map((u) => bottleneckPadding(u, 1)).every((p) => p === null)).toBe(true);
    const ungrouped = networkPlan({ scale: 1, groups: 1, numClasses: 10, stem: 'cifar', inputSize: 32 });
    expect(ungrouped.units.map((u) => bottleneckPadding(u, 16)).every((p) => p === null)).toBe(true);
  });

  it('places every real channel once, and after the shuffle in the same pw2 group as without padding', () => {
    for (const u of plan.units.slice(0, 4)) {
      const p = bottleneckPadding(u, 16)!;
      const g = u.groups;
      const n = u.midChannels / g;
      expect(new Set(p.pw1Channel).size).toBe(u.midChannels);
      expect(new Set(p.shuffledChannel).size).toBe(u.midChannels);
      for (let b = 0; b < g; b++) {
        for (let a = 0; a < n; a++) {
          const padded = p.pw1Channel[b * n + a];
          // pw1 group kept; the padded shuffle sends pw1 channel (b, a') to a' * g + b.
          expect(Math.floor(padded / p.groupWidth)).toBe(b);
          const q = (padded % p.groupWidth) * g + b;
          const j = a * g + b;
          expect(p.shuffledChannel[j]).toBe(q);
          expect(Math.floor(q / p.groupWidth)).toBe(Math.floor(j / n));
        }
      }
    }
  });

  it('spreads weight rows and pw2 inputs to their padded places, zeros elsewhere', () => {
    const rowOf = Int32Array.from([2, 0]);
    expect([...padRows(Float32Array.from([1, 2, 3, 4]), 2, rowOf, 3)]).toEqual([3, 4, 0, 0, 1, 2]);
    const u = plan.units[1];
    const p = bottleneckPadding(u, 16)!;
    const n = u.midChannels / u.groups;
    const weight = Float32Array.from({ length: u.branchChannels * n }, (_, i) => i + 1);
    const padded = padPw2Inputs(weight, u.branchChannels, u.groups, p);
    expect(padded.length).toBe(u.branchChannels * p.groupWidth);
    expect(padded.filter((v) => v !== 0).length).toBe(weight.length);
    const o = u.branchChannels - 1;
    const k = u.groups - 1;
    expect(padded[o * p.groupWidth + p.shuffledChannel[k * n + 5] - k * p.groupWidth]).toBe(weight[o * n + 5]);
  });
});

describe.skipIf(skip)('ONNX Runtime on a padded export', () => {
  /** Padding happens in 2.0x groups 3 stage 2 (block 16) and 0.5x groups 3 stage 4 (blocks 16 and 8). */
  const PADDED: [ModelConfig, number][] = [
    [{ scale: 2, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 32 }, 16],
    [{ scale: 0.5, groups: 3, numClasses: 6, stem: 'imagenet', inputSize: 64 }, 16],
    [{ scale: 0.5, groups: 3, numClasses: 6, stem: 'cifar', inputSize: 21 }, 8],
  ];
  for (const [config, block] of PADDED) {
    it(`gives the tfjs logits for ${config.scale}x groups 3, ${config.stem} stem at ${config.inputSize}, block ${block}`, async () => {
      const { dir, model } = await writeCheckpoint(path.join(root, `padded-${config.scale}-${config.stem}-${block}`), config, { seed: block });
      model.dispose();
      const plain = (await onnxModelBytes(dir)).bytes;
      const { bytes } = await onnxModelBytes(dir, { nchwcBlock: block });
      expect(bytes.byteLength).toBeGreaterThan(plain.byteLength);
      const check = await compareOnnxWithTfjs(dir, bytes, { count: 4, seed: 3 });
      expect(check.relativeError).toBeLessThan(1e-4);
      expect(check.top1Agreement).toBe(1);
    });
  }

  it.skipIf(nchwcBlockSize() !== 16)('runs every grouped 1x1 conv of 2.0x groups 3 in NCHWc on an AVX-512 machine', async () => {
    const ort = createRequire(import.meta.url)('onnxruntime-node') as {
      InferenceSession: { create(model: Uint8Array, options: object): Promise<{ release(): Promise<void> }> };
    };
    const config: ModelConfig = { scale: 2, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 32 };
    const model = buildShuffleNetV1(config);
    const bytes = onnxModelFromLayersModel(
      model,
      {
        model: config,
        preprocessing: defaultPreprocessing({ format: 'image-folder', inputSize: 32 }),
        classes: Array.from({ length: 10 }, (_, i) => `c${i}`),
        epoch: 0,
      },
      { nchwcBlock: 16 },
    );
    model.dispose();
    const optimized = path.join(root, 'optimized-padded.onnx');
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', executionProviders: ['cpu'], optimizedModelFilePath: optimized });
    await session.release();
    const ops = graphOf(new Uint8Array(await readFile(optimized))).nodes.map((n) => n.opType);
    expect(ops.filter((op) => op.endsWith('Conv') && op !== 'com.microsoft.nchwc.Conv')).toEqual([]);
  });
});
