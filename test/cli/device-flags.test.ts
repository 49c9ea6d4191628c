/** --device on the command line, in a real CLI process: wrong values and a GPU that cannot run are one line each. */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

describe('--device', () => {
  it('train --device webgpu where WebGPU cannot run is refused in one line naming why, before any work', () => {
    // No Vulkan loader on LD_LIBRARY_PATH and no ICD: webgpu is unavailable whatever the machine has.
    const r = runCli({ LD_LIBRARY_PATH: '/nonexistent', VK_ICD_FILENAMES: '/nonexistent.json' }, 'train', '--dataset', '/nonexistent', '--out', '/nonexistent-out', '--device', 'webgpu');
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
});
