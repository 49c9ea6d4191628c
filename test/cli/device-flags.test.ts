/** --device on the command line, in a real CLI process: wrong values and a GPU asked of train are one line each. */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

describe('--device', () => {
  it('train --device webgpu is refused in one line before any work (training on the GPU is not built yet)', () => {
    const r = runCli({}, 'train', '--dataset', '/nonexistent', '--out', '/nonexistent-out', '--device', 'webgpu');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('training on the GPU is not built yet: --device webgpu works for eval and predict');
  });

  it('a device that does not exist is named in one line', () => {
    const r = runCli({}, 'eval', '--run', '/nonexistent', '--dataset', '/nonexistent', '--device', 'gpu');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/device.*auto, cuda, webgpu, cpu/);
  });
});
