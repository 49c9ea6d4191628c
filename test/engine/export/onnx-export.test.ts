import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, onnxModelBytes, onnxModelFromLayersModel } from '../../../src-main/engine/export/onnx';
import { samePads } from '../../../src-main/engine/model/plan';
import { encodeVarint, MessageWriter } from '../../../src-main/engine/onnx/protobuf';
import { compareOnnxWithTfjs } from '../../../src-main/engine/export/verify';
import type { ModelConfig } from '../../../src-main/engine/types';
import { onnxSkipReason, writeCheckpoint } from './checkpoint-fixture';
import { bytesOf, readFields, text, varintsOf } from './protobuf-reader';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-onnx-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('protobuf writer', () => {
  it('encodes varints like protobuf (multi-byte, 64-bit negatives)', () => {
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(2 ** 40)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('nests length-delimited messages', () => {
    const inner = new MessageWriter().varint(1, 150).string(2, 'hé');
    const bytes = new MessageWriter().message(3, inner).varints(4, [1, 2]).finish();
    // field 3 wire 2, length 8; inside: field 1 = 150 (0x96 0x01), field 2 = "hé" (3 UTF-8 bytes); then field 4 twice.
    expect([...bytes]).toEqual([0x1a, 8, 0x08, 0x96, 0x01, 0x12, 3, 0x68, 0xc3, 0xa9, 0x20, 1, 0x20, 2]);
  });
});

describe('same padding', () => {
  it('matches tfjs: output ceil(in / stride), the odd pixel at the end', () => {
    expect(samePads(32, 3, 1)).toEqual([1, 1]);
    expect(samePads(64, 3, 2)).toEqual([0, 1]);
    expect(samePads(57, 3, 2)).toEqual([1, 1]);
    expect(samePads(224, 3, 2)).toEqual([0, 1]);
  });
});

describe('ONNX model file', () => {
  it('is a ModelProto with opset 13, NCHW input, logits output and the preprocessing in metadata', async () => {
    const config: ModelConfig = { scale: 0.25, groups: 2, numClasses: 4, stem: 'cifar', inputSize: 32 };
    const { dir, model, manifest } = await writeCheckpoint(path.join(root, 'meta'), config, { classes: ['a', 'b', 'c', 'd'] });
    model.dispose();
    const out = path.join(root, 'out', 'nested', 'model.onnx');
    const result = await exportOnnx(dir, out);
    expect(result).toMatchObject({ checkpoint: dir, file: out, opset: 13 });
    const bytes = new Uint8Array(await readFile(out));
    expect(bytes.byteLength).toBe(result.bytes);

    const modelFields = readFields(bytes);
    expect(varintsOf(modelFields, 1)).toEqual([7]);
    const opset = readFields(bytesOf(modelFields, 8)[0]);
    expect(varintsOf(opset, 2)).toEqual([13]);
    const metadata = Object.fromEntries(
      bytesOf(modelFields, 14).map((entry) => {
        const f = readFields(entry);
        return [text(bytesOf(f, 1)[0]), text(bytesOf(f, 2)[0])];
      }),
    );
    expect(metadata.input_layout).toBe('NCHW');
    expect(JSON.parse(metadata.mean)).toEqual(manifest.preprocessing.mean);
    expect(JSON.parse(metadata.std)).toEqual(manifest.preprocessing.std);
    expect(metadata.input_size).toBe('32');
    expect(JSON.parse(metadata.classes)).toEqual(['a', 'b', 'c', 'd']);
    expect(JSON.parse(metadata.model_config)).toEqual(config);

    const graph = readFields(bytesOf(modelFields, 7)[0]);
    const valueInfo = (v: Uint8Array) => {
      const f = readFields(v);
      const tensorType = readFields(bytesOf(readFields(bytesOf(f, 2)[0]), 1)[0]);
      const dims = bytesOf(readFields(bytesOf(tensorType, 2)[0]), 1).map((d) => {
        const df = readFields(d);
        return bytesOf(df, 2).length ? text(bytesOf(df, 2)[0]) : varintsOf(df, 1)[0];
      });
      return { name: text(bytesOf(f, 1)[0]), elemType: varintsOf(tensorType, 1)[0], dims };
    };
    expect(bytesOf(graph, 11).map(valueInfo)).toEqual([{ name: 'input', elemType: 1, dims: ['batch', 3, 32, 32] }]);
    expect(bytesOf(graph, 12).map(valueInfo)).toEqual([{ name: 'logits', elemType: 1, dims: ['batch', 4] }]);
    const opTypes = new Set(bytesOf(graph, 1).map((n) => text(bytesOf(readFields(n), 4)[0])));
    expect([...opTypes].sort()).toEqual(['Add', 'AveragePool', 'Concat', 'Conv', 'Flatten', 'Gemm', 'GlobalAveragePool', 'Relu', 'Reshape', 'Transpose']);
  });

  it('is the same file from a model in memory as from its saved checkpoint', async () => {
    const config: ModelConfig = { scale: 0.5, groups: 8, numClasses: 3, stem: 'imagenet', inputSize: 32 };
    const { dir, model, manifest } = await writeCheckpoint(path.join(root, 'memory'), config);
    const before = tf.memory().numTensors;
    const fromMemory = onnxModelFromLayersModel(model, manifest);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    const { bytes } = await onnxModelBytes(dir);
    expect(Buffer.from(fromMemory).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses weights that do not match the manifest, and a path without a checkpoint', async () => {
    const config: ModelConfig = { scale: 0.25, groups: 2, numClasses: 3, stem: 'cifar', inputSize: 16 };
    const { dir, model, manifest } = await writeCheckpoint(path.join(root, 'mismatch'), config);
    model.dispose();
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, model: { ...config, groups: 3 } }));
    await expect(onnxModelBytes(dir)).rejects.toThrow(/has shape \[.*\], the model settings expect/);
    await expect(exportOnnx(path.join(root, 'missing'), path.join(root, 'x.onnx'))).rejects.toThrow(/expected a run folder/);
  });
});

const skip = onnxSkipReason();
if (skip) console.warn(skip);

/** Every group count the model offers, both widths the brief names, both stems, even and odd sizes. */
const CONFIGS: ModelConfig[] = [
  { scale: 0.25, groups: 1, numClasses: 10, stem: 'cifar', inputSize: 32 },
  { scale: 0.5, groups: 2, numClasses: 5, stem: 'cifar', inputSize: 32 },
  { scale: 0.25, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 31 },
  { scale: 0.25, groups: 4, numClasses: 7, stem: 'imagenet', inputSize: 57 },
  { scale: 0.25, groups: 8, numClasses: 10, stem: 'cifar', inputSize: 32 },
  { scale: 0.5, groups: 3, numClasses: 10, stem: 'imagenet', inputSize: 64 },
];

describe.skipIf(skip)('ONNX Runtime against tfjs', () => {
  for (const config of CONFIGS) {
    it(`gives the tfjs logits for ${config.scale}x groups ${config.groups}, ${config.stem} stem at ${config.inputSize}`, async () => {
      const name = `g${config.groups}-${config.scale}-${config.stem}-${config.inputSize}`;
      const { dir, model } = await writeCheckpoint(path.join(root, name), config, { seed: config.groups * 11 });
      model.dispose();
      const before = tf.memory().numTensors;
      const { bytes } = await onnxModelBytes(dir);
      const check = await compareOnnxWithTfjs(dir, bytes, { count: 6, seed: config.groups });
      expect(tf.memory().numTensors).toBe(before);
      expect(check.count).toBe(6);
      expect(check.relativeError).toBeLessThan(1e-4);
      expect(check.top1Agreement).toBe(1);
    });
  }
});
