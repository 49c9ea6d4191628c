import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backendInfo, initBackend } from '../../src-main/engine/backend';
import { UserError } from '../../src-main/engine/errors';
import { requestedWasmThreads } from '../../src-main/engine/wasm-threads';

const require = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

let savedEnv: string | undefined;
beforeEach(() => {
  savedEnv = process.env.SHUFFLENET_BACKEND;
  delete process.env.SHUFFLENET_BACKEND;
});
afterEach(() => {
  if (savedEnv === undefined) delete process.env.SHUFFLENET_BACKEND;
  else process.env.SHUFFLENET_BACKEND = savedEnv;
});

describe('initBackend', () => {
  it('reports nothing before it runs', () => {
    expect(backendInfo()).toBeNull();
  });

  it.skipIf(nativeInstalled)('picks wasm with SIMD here and says why the TensorFlow backends did not load', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(requestedWasmThreads().threads);
    expect(info.threadsNote).toMatch(/Node/);
    expect(info.tfjsVersion).toBe(tf.version.tfjs);
    expect(info.notLoaded).toEqual([
      { name: 'tensorflow-gpu', reason: 'package @tensorflow/tfjs-node-gpu not installed' },
      { name: 'tensorflow', reason: 'package @tensorflow/tfjs-node not installed' },
    ]);
    expect(backendInfo()).toBe(info);
  });

  it('is idempotent, also for concurrent calls', async () => {
    const [a, b] = await Promise.all([initBackend(), initBackend()]);
    expect(a).toBe(b);
    expect(await initBackend()).toBe(a);
  });

  it.skipIf(nativeInstalled)('registers the training kernels on wasm', async () => {
    await initBackend();
    for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    }
    const x = tf.ones([1, 4, 4, 2]);
    const grad = tf.grad((f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').sum())(tf.ones([3, 3, 2, 1]));
    expect(grad.shape).toEqual([3, 3, 2, 1]);
    // Centre tap sees all 16 pixels, a corner tap 9 of them.
    expect(Array.from(grad.dataSync().slice(0, 2))).toEqual([9, 9]);
    expect(grad.dataSync()[8]).toBe(16);
    tf.dispose([x, grad]);
  });

  it('forces cpu through the option, and reports the better backends as not tried', async () => {
    const info = await initBackend({ prefer: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.threads).toBe(1);
    expect(info.notLoaded.map((n) => n.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(info.notLoaded[2].reason).toBe('not tried: the backend option asks for cpu');
    expect(backendInfo()).toBe(info);
  });

  it('forces a backend through SHUFFLENET_BACKEND', async () => {
    process.env.SHUFFLENET_BACKEND = 'wasm';
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.notLoaded.map((n) => n.reason)).toEqual(['not tried: SHUFFLENET_BACKEND asks for wasm', 'not tried: SHUFFLENET_BACKEND asks for wasm']);
    process.env.SHUFFLENET_BACKEND = 'cpu';
    expect((await initBackend()).name).toBe('cpu');
    expect((await initBackend({ prefer: 'wasm' })).name).toBe('wasm');
  });

  it.skipIf(nativeInstalled)('throws a UserError naming the reason when a forced backend is absent', async () => {
    const before = await initBackend({ prefer: 'wasm' });
    const attempt = initBackend({ prefer: 'tensorflow' });
    await expect(attempt).rejects.toBeInstanceOf(UserError);
    await expect(attempt).rejects.toThrow('Backend "tensorflow" (from the backend option) is not available: package @tensorflow/tfjs-node not installed');
    process.env.SHUFFLENET_BACKEND = 'tensorflow-gpu';
    await expect(initBackend()).rejects.toThrow(/SHUFFLENET_BACKEND.*@tensorflow\/tfjs-node-gpu not installed/);
    expect(backendInfo()).toBe(before);
    expect(tf.getBackend()).toBe('wasm');
  });

  it.skipIf(nativeInstalled)('reports the first line of the error when a native package is installed but fails to load', async () => {
    // Stand-ins for the two native packages, found through NODE_PATH, that fail the way a missing
    // CUDA or TensorFlow shared library does.
    const dir = await mkdtemp(join(tmpdir(), 'shufflenet-backend-'));
    try {
      const failures = {
        'tfjs-node-gpu': 'libcudart.so.11.0: cannot open shared object file: No such file or directory',
        'tfjs-node': 'libtensorflow.so.2: cannot open shared object file: No such file or directory',
      };
      for (const [name, message] of Object.entries(failures)) {
        const root = join(dir, 'node_modules', '@tensorflow', name);
        await mkdir(root, { recursive: true });
        await writeFile(join(root, 'package.json'), JSON.stringify({ name: `@tensorflow/${name}`, main: 'index.js' }));
        await writeFile(
          join(root, 'index.js'),
          `throw new Error(${JSON.stringify(`${message}\n    at Module._extensions..node (node:internal/modules/cjs/loader)`)});`,
        );
      }
      const probe = join(dir, 'probe.mts');
      const backendModule = resolve('src-main/engine/backend.ts');
      await writeFile(probe, `import { initBackend } from ${JSON.stringify(backendModule)};\nconsole.log(JSON.stringify(await initBackend()));\n`);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe], {
        env: { ...process.env, NODE_PATH: join(dir, 'node_modules'), SHUFFLENET_BACKEND: '' },
      });
      const info = JSON.parse(stdout.trim().split('\n').at(-1)!) as { name: string; notLoaded: unknown };
      expect(info.name).toBe('wasm');
      expect(info.notLoaded).toEqual([
        { name: 'tensorflow-gpu', reason: `@tensorflow/tfjs-node-gpu failed to load: ${failures['tfjs-node-gpu']}` },
        { name: 'tensorflow', reason: `@tensorflow/tfjs-node failed to load: ${failures['tfjs-node']}` },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown backend name with a UserError', async () => {
    process.env.SHUFFLENET_BACKEND = 'webgpu';
    await expect(initBackend()).rejects.toThrow(
      new UserError('SHUFFLENET_BACKEND="webgpu" is not a backend: use one of tensorflow-gpu, tensorflow, wasm, cpu'),
    );
    delete process.env.SHUFFLENET_BACKEND;
    await expect(initBackend({ prefer: 'gpu' as never })).rejects.toBeInstanceOf(UserError);
  });
});
