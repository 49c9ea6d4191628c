import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTfjs } from '../../../src-main/engine/export/tfjs';
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

describe('exportTfjs', () => {
  it('writes a loadable layers model with the same outputs, and the preprocessing beside it', async () => {
    const out = path.join(root, 'tfjs');
    const result = await exportTfjs(path.join(root, 'run'), out);
    expect(result.checkpoint).toBe(checkpoint);
    expect(result.files.map((f) => path.basename(f)).sort()).toEqual(['model.json', 'preprocessing.json', 'weights.bin']);

    const [original, exported] = [await loadModelFromDir(checkpoint), await loadModelFromDir(out)];
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 5);
    const [a, b] = [original.predict(x) as tf.Tensor, exported.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    original.dispose();
    exported.dispose();

    const prep = JSON.parse(await readFile(path.join(out, 'preprocessing.json'), 'utf8'));
    expect(prep).toMatchObject({
      input: { layout: 'NHWC', shape: [null, 16, 16, 3] },
      inputSize: 16,
      classes: ['w', 'x', 'y', 'z'],
      model: config,
      customLayers: ['GroupedConv1x1', 'ChannelShuffle', 'BatchNorm2d'],
    });
    expect(prep.mean).toHaveLength(3);
    expect(prep.std).toHaveLength(3);
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

  it('writes the TensorFlow.js folder and names a wrong format in one line', () => {
    const ok = cli('export', '--run', checkpoint, '--format', 'tfjs', '--out', path.join(root, 'cli-tfjs'));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/as TensorFlow\.js model:\n.*weights\.bin\n.*preprocessing\.json\n.*model\.json/);
    const bad = cli('export', '--run', checkpoint, '--format', 'torchscript', '--out', path.join(root, 'x'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: --format must be one of onnx, tfjs; got "torchscript"\n');
  });
});
