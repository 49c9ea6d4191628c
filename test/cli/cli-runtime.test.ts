/** `eval` and `predict` take `--runtime auto|onnx|tfjs`; it wins over SHUFFLENET_RUNTIME. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxSkipReason, writeCheckpoint } from '../engine/export/checkpoint-fixture';
import { makeImageFolder } from '../fixtures/image-folder';
import { runCli } from './run-cli';

const cli = (env: Record<string, string>, ...args: string[]) => runCli({ SHUFFLENET_WASM_THREADS: '1', ...env }, ...args);

let dir: string;
let run: string;
let data: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-cli-runtime-'));
  data = path.join(dir, 'shapes');
  const classes = [...(await makeImageFolder(data, { perClass: 6, size: 16 }))].sort();
  const written = await writeCheckpoint(
    path.join(dir, 'checkpoint'),
    { scale: 0.25, groups: 2, numClasses: classes.length, stem: 'cifar', inputSize: 16 },
    { classes },
  );
  written.model.dispose();
  run = written.dir;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const skipOnnx = onnxSkipReason();
if (skipOnnx) console.warn(skipOnnx);

describe('--runtime', () => {
  it('is refused with one line naming the choices when it is not one of them', () => {
    for (const command of [
      ['eval', '--run', run, '--dataset', data],
      ['predict', '--run', run, data],
    ]) {
      const r = cli({}, ...command, '--runtime', 'fast');
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--runtime must be one of auto, onnx, tfjs; got "fast"');
    }
  });

  it('makes eval run on tfjs, overriding SHUFFLENET_RUNTIME', () => {
    const r = cli({ SHUFFLENET_RUNTIME: 'onnx' }, 'eval', '--run', run, '--dataset', data, '--split', 'validation', '--runtime', 'tfjs', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).runtime).toBe('tfjs');
  });

  it.skipIf(skipOnnx)('makes eval run on ONNX Runtime with the same numbers as tfjs, and leaves SHUFFLENET_RUNTIME in charge without the flag', () => {
    const onnx = cli({ SHUFFLENET_RUNTIME: 'tfjs' }, 'eval', '--run', run, '--dataset', data, '--split', 'validation', '--runtime', 'onnx', '--json');
    expect(onnx.code, onnx.stderr).toBe(0);
    const fromEnv = cli({ SHUFFLENET_RUNTIME: 'tfjs' }, 'eval', '--run', run, '--dataset', data, '--split', 'validation', '--json');
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    const [a, b] = [JSON.parse(onnx.stdout), JSON.parse(fromEnv.stdout)];
    expect([a.runtime, b.runtime]).toEqual(['onnx', 'tfjs']);
    expect(a.count).toBeGreaterThan(0);
    expect(a.confusion).toEqual(b.confusion);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.max(1, b.loss));
  });

  it('says which runtime predict runs on, and both runtimes predict the same classes', () => {
    const tfjs = cli({}, 'predict', '--run', run, data, '--runtime', 'tfjs');
    expect(tfjs.code, tfjs.stderr).toBe(0);
    expect(tfjs.stderr).toMatch(/^running on tfjs$/m);
    if (skipOnnx) return;
    const onnx = cli({}, 'predict', '--run', run, data, '--runtime', 'onnx');
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(onnx.stderr).toMatch(/^running on onnxruntime-node \S+ \((cpu|cuda)\)$/m);
    const topClass = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/ \d+\.\d%/g, '').split(',')[0]);
    expect(topClass(onnx.stdout)).toEqual(topClass(tfjs.stdout));
    expect(topClass(tfjs.stdout)).toHaveLength(6 * 3);
  });
});
