/** --device on the command line, in a real CLI process: wrong values and a GPU that cannot run are one line each. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { latestCheckpoint, readManifest } from '../../src-main/engine/checkpoint/checkpoint';
import { onnxSkipReason } from '../engine/export/checkpoint-fixture';
import { makeImageFolder } from '../fixtures/image-folder';
import { runCli } from './run-cli';

// No Vulkan loader on LD_LIBRARY_PATH and no ICD: webgpu is unavailable whatever the machine has.
const NO_WEBGPU = { LD_LIBRARY_PATH: '/nonexistent', VK_ICD_FILENAMES: '/nonexistent.json' };

describe('--device', () => {
  it('train --device webgpu where WebGPU cannot run is refused in one line naming why, before any work', () => {
    const r = runCli(NO_WEBGPU, 'train', '--dataset', '/nonexistent', '--out', '/nonexistent-out', '--device', 'webgpu');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('device "webgpu" was asked for but cannot run here:');
  });

  it('a device that does not exist is named in one line', () => {
    const r = runCli({}, 'eval', '--run', '/nonexistent', '--dataset', '/nonexistent', '--device', 'gpu');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/device.*auto, cuda, webgpu, cpu/);
  });

  it.skipIf(onnxSkipReason())('train --device cpu goes into the run’s config (its events and checkpoint), over SHUFFLENET_DEVICE', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'studio-cli-device-'));
    try {
      const data = path.join(dir, 'data');
      await makeImageFolder(data, { classes: ['a', 'b'], perClass: 4, size: 16 });
      const out = path.join(dir, 'run');
      // SHUFFLENET_DEVICE names a GPU that cannot run: a flag that reached the trainer only through it would fail.
      const args = [
        'train',
        '--dataset',
        data,
        '--out',
        out,
        '--scale',
        '0.25',
        '--input-size',
        '16',
        '--epochs',
        '1',
        '--batch-size',
        '8',
        '--runtime',
        'onnx',
        '--device',
        'cpu',
        '--json',
      ];
      const r = runCli({ ...NO_WEBGPU, SHUFFLENET_DEVICE: 'webgpu', SHUFFLENET_WASM_THREADS: '1' }, ...args);
      expect(r.code, r.stderr).toBe(0);
      const start = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .find((e) => e.type === 'start');
      expect([start.device, start.config.device]).toEqual(['cpu', 'cpu']);
      expect((await readManifest((await latestCheckpoint(out)) ?? '')).config.device).toBe('cpu');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
