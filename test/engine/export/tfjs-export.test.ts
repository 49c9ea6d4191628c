import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTfjs } from '../../../src-main/engine/export/tfjs';
import { compareTfjsExportWithCheckpoint } from '../../../src-main/engine/export/tfjs-verify';
import { loadModelFromDir } from '../../../src-main/engine/model/file-io';
import type { ModelConfig } from '../../../src-main/engine/types';
import { onnxSkipReason, writeCheckpoint } from './checkpoint-fixture';

const repoRoot = path.resolve(__dirname, '../../..');
const config: ModelConfig = { scale: 0.25, groups: 3, numClasses: 4, stem: 'cifar', inputSize: 16 };
let root: string;
let checkpoint: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-export-'));
  const written = await writeCheckpoint(path.join(root, 'run', 'checkpoints', 'epoch-0001'), config, { classes: ['w', 'x', 'y', 'z'] });
  written.model.dispose();
  checkpoint = written.dir;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Loads the export in a fresh Node process that imports nothing but @tensorflow/tfjs (none of the
 * app's layer classes) and prints its logits for the float32 NHWC input in `inputFile`.
 */
function predictWithPlainTfjs(dir: string, inputFile: string, shape: number[]) {
  const script = `
    const fs = require('node:fs');
    const tf = require('@tensorflow/tfjs');
    (async () => {
      await tf.setBackend('cpu');
      const json = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(dir, 'model.json'))}, 'utf8'));
      const weights = fs.readFileSync(${JSON.stringify(dir)} + '/' + json.weightsManifest[0].paths[0]);
      const model = await tf.loadGraphModel(tf.io.fromMemory({
        modelTopology: json.modelTopology, format: json.format, userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }));
      const input = fs.readFileSync(${JSON.stringify(inputFile)});
      const x = tf.tensor(new Float32Array(input.buffer, input.byteOffset, input.byteLength / 4), ${JSON.stringify(shape)});
      const logits = model.predict(x);
      console.log(JSON.stringify({ logits: Array.from(await logits.data()), classes: model.metadata.classes }));
    })().catch((e) => { console.error(e.message); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`plain tfjs could not run the export: ${result.stderr}`);
  return JSON.parse(result.stdout) as { logits: number[]; classes: string[] };
}

describe('exportTfjs', () => {
  it("writes a graph model that plain @tensorflow/tfjs loads and runs with the app model's logits", async () => {
    const out = path.join(root, 'tfjs');
    const result = await exportTfjs(path.join(root, 'run'), out);
    expect(result.checkpoint).toBe(checkpoint);
    expect(result.files.map((f) => path.basename(f))).toEqual(['weights.bin', 'preprocessing.json', 'example.html', 'model.json']);

    const x = tf.randomNormal([3, 16, 16, 3], 0, 1, 'float32', 5);
    const inputFile = path.join(root, 'input.f32');
    await writeFile(inputFile, Buffer.from((await x.data()).buffer));
    const app = await loadModelFromDir(checkpoint);
    const expected = app.predict(x) as tf.Tensor;
    const reference = Array.from(await expected.data());
    tf.dispose([x, expected]);
    app.dispose();

    const plain = predictWithPlainTfjs(out, inputFile, [3, 16, 16, 3]);
    expect(plain.classes).toEqual(['w', 'x', 'y', 'z']);
    expect(plain.logits).toHaveLength(reference.length);
    const maxRef = Math.max(...reference.map(Math.abs));
    const maxErr = Math.max(...reference.map((v, i) => Math.abs(v - plain.logits[i])));
    expect(maxErr / maxRef).toBeLessThan(1e-4);
  });

  it('holds only standard TF ops, the preprocessing and classes, and a usage example', async () => {
    const out = path.join(root, 'tfjs');
    const modelJson = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('graph-model');
    const ops = new Set((modelJson.modelTopology.node as { op: string }[]).map((n) => n.op));
    expect([...ops].sort()).toEqual([
      'AddV2',
      'AvgPool',
      'BatchMatMulV2',
      'BiasAdd',
      'ConcatV2',
      'Const',
      'Conv2D',
      'DepthwiseConv2dNative',
      'MatMul',
      'Mean',
      'Pad',
      'Placeholder',
      'Relu',
      'Reshape',
      'Transpose',
    ]);
    const prep = JSON.parse(await readFile(path.join(out, 'preprocessing.json'), 'utf8'));
    expect(modelJson.userDefinedMetadata).toEqual(prep);
    expect(prep).toMatchObject({
      format: 'tfjs-graph-model',
      input: { name: 'image', layout: 'NHWC', shape: [null, 16, 16, 3] },
      output: { name: 'logits', shape: [null, 4] },
      inputSize: 16,
      classes: ['w', 'x', 'y', 'z'],
      model: config,
    });
    expect(prep.mean).toHaveLength(3);
    expect(prep.std).toHaveLength(3);
    const example = await readFile(path.join(out, 'example.html'), 'utf8');
    expect(example).toContain("tf.loadGraphModel('model.json')");
    expect(example).toMatch(/<script src="https:\/\/cdn\.jsdelivr\.net\/npm\/@tensorflow\/tfjs@4\.22\.0\/dist\/tf\.min\.js"><\/script>/);
  });

  it('refuses a file as the destination and a checkpoint whose weights are missing', async () => {
    const file = path.join(root, 'a-file');
    await writeFile(file, 'x');
    await expect(exportTfjs(checkpoint, file)).rejects.toThrow(/is a file: the TensorFlow.js export needs a folder/);
    const broken = await writeCheckpoint(path.join(root, 'broken'), config);
    broken.model.dispose();
    await rm(path.join(broken.dir, 'weights.bin'));
    await expect(exportTfjs(broken.dir, path.join(root, 'out2'))).rejects.toThrow(/Missing weights file .*weights\.bin/);
  });
});

/** Every group count, both stems, several widths, odd and even sizes. */
const CONFIGS: ModelConfig[] = [
  { scale: 0.25, groups: 1, numClasses: 10, stem: 'cifar', inputSize: 32 },
  { scale: 0.5, groups: 2, numClasses: 5, stem: 'cifar', inputSize: 32 },
  { scale: 0.25, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 31 },
  { scale: 0.25, groups: 4, numClasses: 7, stem: 'imagenet', inputSize: 57 },
  { scale: 0.25, groups: 8, numClasses: 10, stem: 'cifar', inputSize: 32 },
  { scale: 1, groups: 3, numClasses: 10, stem: 'imagenet', inputSize: 64 },
];

describe('graph model against the app model', () => {
  for (const c of CONFIGS) {
    it(`gives the same logits for ${c.scale}x groups ${c.groups}, ${c.stem} stem at ${c.inputSize}`, async () => {
      const name = `g${c.groups}-${c.scale}-${c.stem}-${c.inputSize}`;
      const { dir, model } = await writeCheckpoint(path.join(root, name), c, { seed: c.groups * 13 });
      model.dispose();
      const out = path.join(root, `${name}-tfjs`);
      await exportTfjs(dir, out);
      const before = tf.memory().numTensors;
      const check = await compareTfjsExportWithCheckpoint(dir, out, { count: 6, seed: c.groups });
      expect(tf.memory().numTensors).toBe(before);
      console.log(`tfjs graph export ${name}: relative error ${check.relativeError.toExponential(2)}, max abs ${check.maxAbsError.toExponential(2)}`);
      expect(check.relativeError).toBeLessThan(1e-4);
      expect(check.top1Agreement).toBe(1);
    });
  }
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, SHUFFLENET_BACKEND: 'cpu' },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('export command', () => {
  it('writes an ONNX file and, with --check, compares it with tfjs', async () => {
    const out = path.join(root, 'cli', 'model.onnx');
    const { code, stdout } = cli('export', '--run', path.join(root, 'run'), '--format', 'onnx', '--out', out, '--check', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ format: 'onnx', checkpoint, files: [out], opset: 13 });
    expect((await stat(out)).size).toBe(report.bytes);
    if (onnxSkipReason()) {
      expect(report.check.skipped).toMatch(/ONNX Runtime is not available/);
    } else {
      expect(report.check.relativeError).toBeLessThan(1e-4);
      expect(report.check.top1Agreement).toBe(1);
    }
  });

  it('writes the TensorFlow.js folder, checks it with --check, and names a wrong format in one line', () => {
    const out = path.join(root, 'cli-tfjs');
    const ok = cli('export', '--run', checkpoint, '--format', 'tfjs', '--out', out, '--check', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report).toMatchObject({
      format: 'tfjs',
      checkpoint,
      files: ['weights.bin', 'preprocessing.json', 'example.html', 'model.json'].map((f) => path.join(out, f)),
    });
    expect(report.check.relativeError).toBeLessThan(1e-4);
    expect(report.check.top1Agreement).toBe(1);
    const human = cli('export', '--run', checkpoint, '--format', 'tfjs', '--out', out);
    expect(human.stdout).toMatch(
      /as TensorFlow\.js graph model \(tf\.loadGraphModel\):\n.*weights\.bin\n.*preprocessing\.json\n.*example\.html\n.*model\.json/,
    );
    const bad = cli('export', '--run', checkpoint, '--format', 'torchscript', '--out', path.join(root, 'x'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: --format must be one of onnx, tfjs; got "torchscript"\n');
  });
});
