/**
 * Inference on ONNX Runtime's WebGPU provider against its CPU provider, on SwiftShader (a software
 * Vulkan adapter; see software-vulkan.ts): the exported model's logits, and `predict`/`info` in a
 * real CLI process. Skips where no software Vulkan exists, fails instead in CI (CI=true).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder } from '../../fixtures/image-folder';
import { onnxSkipReason, writeCheckpoint } from '../export/checkpoint-fixture';
import { runNode, skipUnlessCi, swiftShaderEnv } from './software-vulkan';

const vulkan = swiftShaderEnv();
const skipReason = onnxSkipReason() ?? ('skip' in vulkan ? vulkan.skip : null);
const env = 'env' in vulkan ? vulkan.env : {};
const CLI = 'src-main/cli/main.ts';

let root: string;
let checkpoint: string;

beforeAll(async () => {
  if (skipReason) return;
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'shufflenet-webgpu-'));
  // 0.5x, groups 3, cifar stem at 32x32: every layer type of the exported graph, small enough for SwiftShader.
  const written = await writeCheckpoint(path.join(root, 'run'), { scale: 0.5, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 32 });
  written.model.dispose();
  checkpoint = written.dir;
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function relativeError(a: number[], b: number[]): number {
  let num = 0;
  let den = 0;
  a.forEach((x, i) => {
    num += (x - b[i]) ** 2;
    den += b[i] ** 2;
  });
  return Math.sqrt(num / den);
}

describe('inference on WebGPU (SwiftShader)', () => {
  it("gives the CPU provider's logits for a batch of 4 (relative error < 1e-4)", (context) => {
    if (skipReason) return skipUnlessCi(context, skipReason);
    const child = runNode(env, 'test/engine/runtime/logits-on-device.child.ts', checkpoint, '4', 'webgpu', 'cpu');
    expect(child.code, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as Record<string, { device: string; detail: string; logits: number[] }>;
    expect(result.webgpu.device).toBe('webgpu');
    expect(result.webgpu.detail).toMatch(/\(webgpu: SwiftShader, software\)$/);
    expect(result.cpu.device).toBe('cpu');
    expect(result.webgpu.logits).toHaveLength(40);
    // The images get different logits, so the comparison covers more than one answer.
    const [first, second] = [result.cpu.logits.slice(0, 10), result.cpu.logits.slice(10, 20)];
    expect(Math.max(...first.map((x, i) => Math.abs(x - second[i])))).toBeGreaterThan(1e-3);
    const error = relativeError(result.webgpu.logits, result.cpu.logits);
    console.log(`webgpu (SwiftShader) vs cpu logits, 0.5x g3 32x32 batch 4: relative error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(1e-4);
  });

  it('info lists SwiftShader as software; auto passes it by and names the reason', (context) => {
    if (skipReason) return skipUnlessCi(context, skipReason);
    const info = runNode(env, CLI, 'info', '--json');
    expect(info.code, info.stderr).toBe(0);
    const { devices, autoDevice } = JSON.parse(info.stdout);
    expect(devices.map((d: { name: string }) => d.name)).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(devices[1]).toEqual({
      name: 'webgpu',
      available: true,
      adapter: 'SwiftShader',
      software: true,
      reason: expect.stringContaining('software adapter'),
    });
    expect(autoDevice).toBe('cpu');
  });

  it('predict --device webgpu --json ends with the done line naming webgpu; auto runs on the cpu', async (context) => {
    if (skipReason) return skipUnlessCi(context, skipReason);
    const images = path.join(root, 'images');
    await makeImageFolder(images, { classes: ['a'], perClass: 5, size: 20 });
    const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string);
    const onGpu = runNode(env, CLI, 'predict', '--run', checkpoint, images, '--device', 'webgpu', '--json');
    expect(onGpu.code, onGpu.stderr).toBe(0);
    expect(lastLine(onGpu.stdout)).toEqual({ done: { count: 5, skipped: 0, device: 'webgpu', tta: 'none' } });
    const auto = runNode(env, CLI, 'predict', '--run', checkpoint, images, '--json');
    expect(auto.code, auto.stderr).toBe(0);
    expect(lastLine(auto.stdout)).toEqual({ done: { count: 5, skipped: 0, device: 'cpu', tta: 'none' } });
    // The same classes on both devices.
    const tops = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l).top[0].label);
    expect(tops(onGpu.stdout)).toEqual(tops(auto.stdout));
  });
});
