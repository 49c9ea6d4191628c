/**
 * The threaded-SIMD wasm build in Node: two XNNPACK threads give the cpu backend's results, `info`
 * reports the real thread count, and a process that used the threads still exits by itself.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src-main/engine/data/augment';
import { initBackend } from '../../src-main/engine/backend';
import { UserError } from '../../src-main/engine/errors';
import { requestedWasmThreads } from '../../src-main/engine/wasm-threads';

const TOLERANCE = 1e-4;
const ROOT = resolve(import.meta.dirname, '../..');

const random = createRng(2024);
const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => random() * 2 - 1);

/** `op` on the cpu backend and on wasm; returns max|wasm - cpu| / max|cpu|. */
async function relativeError(op: () => tf.Tensor): Promise<number> {
  await tf.setBackend('cpu');
  const expected = tf.tidy(op);
  const want = await expected.data();
  expected.dispose();
  await tf.setBackend('wasm');
  const actual = tf.tidy(op);
  const got = await actual.data();
  actual.dispose();
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

let savedThreads: string | undefined;
beforeAll(() => {
  savedThreads = process.env.SHUFFLENET_WASM_THREADS;
  process.env.SHUFFLENET_WASM_THREADS = '2';
});
afterAll(() => {
  if (savedThreads === undefined) delete process.env.SHUFFLENET_WASM_THREADS;
  else process.env.SHUFFLENET_WASM_THREADS = savedThreads;
});

describe('requestedWasmThreads', () => {
  it('reads SHUFFLENET_WASM_THREADS: 0 and 1 mean one thread, N means N', () => {
    for (const [raw, threads] of [
      ['0', 1],
      ['1', 1],
      ['2', 2],
      [' 8 ', 8],
    ] as const) {
      process.env.SHUFFLENET_WASM_THREADS = raw;
      expect(requestedWasmThreads().threads).toBe(threads);
    }
    process.env.SHUFFLENET_WASM_THREADS = '2';
  });

  it('uses one thread per logical core, up to 4, when the variable is unset', () => {
    delete process.env.SHUFFLENET_WASM_THREADS;
    expect(requestedWasmThreads().threads).toBe(Math.min(4, availableParallelism()));
    process.env.SHUFFLENET_WASM_THREADS = '2';
  });

  it('rejects values that are not a thread count', () => {
    for (const raw of ['two', '-1', '1.5', '9']) {
      process.env.SHUFFLENET_WASM_THREADS = raw;
      expect(() => requestedWasmThreads()).toThrow(UserError);
    }
    process.env.SHUFFLENET_WASM_THREADS = '2';
  });
});

describe('threaded wasm backend', () => {
  it('initBackend reports the two threads XNNPACK really uses', async () => {
    const info = await initBackend({ prefer: 'wasm' });
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(2);
    expect(info.threadsNote).toMatch(/threaded SIMD build in Node on worker_threads \(SHUFFLENET_WASM_THREADS=2\)/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each([
    [1, 1, 1],
    [7, 13, 5],
    [37, 129, 65],
    [256, 300, 257],
    [513, 64, 1024],
  ])('matMul %ix%i by %ix.. equals the cpu backend on 2 threads', async (m, k, n) => {
    await initBackend({ prefer: 'wasm' });
    const a = values(m * k);
    const b = values(k * n);
    const before = tf.memory().numTensors;
    const error = await relativeError(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
    expect(error).toBeLessThan(TOLERANCE);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('transposed batched matMul and a strided conv2d equal the cpu backend on 2 threads', async () => {
    await initBackend({ prefer: 'wasm' });
    const a = values(3 * 65 * 33);
    const b = values(3 * 47 * 65);
    expect(await relativeError(() => tf.matMul(tf.tensor3d(a, [3, 65, 33]), tf.tensor3d(b, [3, 47, 65]), true, true))).toBeLessThan(TOLERANCE);
    const x = values(4 * 17 * 17 * 24);
    const w = values(3 * 3 * 24 * 40);
    expect(await relativeError(() => tf.conv2d(tf.tensor4d(x, [4, 17, 17, 24]), tf.tensor4d(w, [3, 3, 24, 40]), 2, 'same'))).toBeLessThan(TOLERANCE);
  });

  it('a process that trained on 2 threads exits by itself', async () => {
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { initBackend } from './src-main/engine/backend';
      const info = await initBackend({ prefer: 'wasm' });
      const x = tf.randomNormal([64, 128]);
      const w = tf.variable(tf.randomNormal([128, 10]));
      const opt = tf.train.sgd(0.1);
      for (let i = 0; i < 3; i++) opt.minimize(() => tf.matMul(x, w).square().mean());
      console.log(JSON.stringify({ threads: info.threads }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, SHUFFLENET_WASM_THREADS: '2', SHUFFLENET_BACKEND: 'wasm' },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({ threads: 2 });
  });
});
