import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../../src-main/engine/train/config';
import { listDevices } from '../../../src-main/engine/runtime/devices';
import { prepareModel, sessionConfig, type ResumePoint } from '../../../src-main/engine/train/setup';
import type { TrainConfig } from '../../../src-main/engine/types';
import { onnxSkipReason } from '../export/checkpoint-fixture';

const base = { ...defaultTrainConfig({ dataset: '', outDir: '' }), scale: 0.25 as const, stem: 'cifar' as const, inputSize: 16 };

/** Runs `body` with SHUFFLENET_DEVICE set to `value`, then puts the variable back as it was. */
async function withDeviceEnv<T>(value: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.SHUFFLENET_DEVICE;
  process.env.SHUFFLENET_DEVICE = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.SHUFFLENET_DEVICE;
    else process.env.SHUFFLENET_DEVICE = saved;
  }
}

describe('prepareModel', () => {
  it('builds the model with zero-initialised branch gammas only when the config asks for them', async () => {
    for (const zeroInitBranches of [false, true]) {
      const session = await prepareModel({ ...base, zeroInitBranches }, ['a', 'b', 'c'], null);
      const gamma = session.model.getLayer('stage3.unit2.pw2_bn').getWeights()[0].dataSync();
      expect(new Set(gamma), `zeroInitBranches ${zeroInitBranches}`).toEqual(new Set([zeroInitBranches ? 0 : 1]));
      await session.trainer.dispose();
      session.sgd.dispose();
      session.model.dispose();
    }
  });

  it('trains on the config’s device, over SHUFFLENET_DEVICE', async (context) => {
    const skip = onnxSkipReason();
    if (skip) return context.skip(skip);
    // The environment names WebGPU: a trainer that ignored the config would open there or fail.
    const session = await withDeviceEnv('webgpu', () => prepareModel({ ...base, runtime: 'onnx', device: 'cpu' }, ['a', 'b'], null));
    try {
      expect(session.backend).toMatch(/^onnxruntime-node \S+ \(cpu/);
    } finally {
      await session.trainer.dispose();
      session.sgd.dispose();
      session.model.dispose();
    }
  });

  it('a GPU named in the config that cannot run fails the run, also with runtime auto (no silent tfjs fallback)', async (context) => {
    const skip = onnxSkipReason();
    if (!skip && (await listDevices()).find((d) => d.name === 'cuda')?.available) return context.skip('CUDA runs here: no unavailable GPU to name');
    // The environment says cpu: only the config names CUDA.
    await expect(withDeviceEnv('cpu', () => prepareModel({ ...base, runtime: 'auto', device: 'cuda' }, ['a', 'b'], null))).rejects.toThrow(/device "cuda"/);
  });

  it('a GPU named with runtime tfjs is refused: only ONNX Runtime trains on a GPU device', async () => {
    await expect(prepareModel({ ...base, runtime: 'tfjs', device: 'webgpu' }, ['a', 'b'], null)).rejects.toThrow(
      'device "webgpu" trains on ONNX Runtime, but runtime "tfjs" was asked for',
    );
  });
});

describe('sessionConfig', () => {
  const stored: TrainConfig = { ...base, dataset: '/old/data', outDir: '/old/run', epochs: 7, seed: 11, device: 'webgpu' };
  const resume = { dir: '/old/run/epoch-0001', manifest: { config: stored } } as unknown as ResumePoint;
  const requested: TrainConfig = { ...base, dataset: '/new/data', outDir: '/new/run', epochs: 2, seed: 1, keepCheckpoints: 9 };

  it('a fresh start runs the requested config, device included', () => {
    expect(sessionConfig({ ...requested, device: 'cpu' }, null).device).toBe('cpu');
  });

  it('a resume keeps the checkpoint’s trajectory and device, unless the caller names a device', () => {
    const kept = sessionConfig(requested, resume);
    expect(kept).toMatchObject({ epochs: 7, seed: 11, dataset: '/new/data', outDir: '/new/run', keepCheckpoints: 9, device: 'webgpu' });
    // Resuming a webgpu run on the cpu (test/engine/ort-train/webgpu-training.test.ts runs one).
    const moved = sessionConfig({ ...requested, device: 'cpu' }, resume);
    expect(moved).toMatchObject({ epochs: 7, seed: 11, device: 'cpu' });
    // A run that never named one still has none: the engine then reads SHUFFLENET_DEVICE.
    const { device: _named, ...never } = stored;
    const unnamed = { ...resume, manifest: { config: never } } as unknown as ResumePoint;
    expect(sessionConfig(requested, unnamed).device).toBeUndefined();
  });
});
