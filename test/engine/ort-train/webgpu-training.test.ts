/**
 * Training on ONNX Runtime's WebGPU provider (one DeviceSession) against its CPU provider, on
 * SwiftShader (software Vulkan; test/engine/runtime/software-vulkan.ts), in a child process that
 * starts with the Vulkan loader on LD_LIBRARY_PATH. Skips where no software Vulkan exists, fails
 * instead in CI (CI=true). SwiftShader is slow (about 13 s for one pass of this 0.5x model at 16x16,
 * batch 8), so the model is small; speed there says nothing about a GPU.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onnxSkipReason } from '../export/checkpoint-fixture';
import { runNode, skipUnlessCi, swiftShaderEnv } from '../runtime/software-vulkan';

const vulkan = swiftShaderEnv();
const skipReason = onnxSkipReason() ?? ('skip' in vulkan ? vulkan.skip : null);
const env = 'env' in vulkan ? vulkan.env : {};
const CHILD = 'test/engine/ort-train/train-on-device.child.ts';

function child(...args: string[]): unknown {
  const run = runNode(env, CHILD, ...args);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

describe('training on WebGPU (SwiftShader)', () => {
  it("one training pass gives the CPU provider's whole gradient vector (relative error < 1e-4)", (context) => {
    if (skipReason) return skipUnlessCi(context, skipReason);
    const { tensors, weights } = child('grads') as {
      tensors: { name: string; length: number; expected: number; diff: number; norm: number }[];
      weights: number;
    };
    let diff = 0;
    let norm = 0;
    for (const t of tensors) {
      expect(t.length, t.name).toBe(t.expected);
      diff += t.diff;
      norm += t.norm;
    }
    expect(tensors.reduce((sum, t) => sum + t.length, 0)).toBe(weights);
    const error = Math.sqrt(diff / norm);
    console.log(`webgpu (SwiftShader) vs cpu gradient, 0.5x g3 cifar 16x16 batch 8: relative error ${error.toExponential(2)}`);
    // Measured 7.6e-6 for this seeded model (float32 sums in another order: 242,698 weights, a
    // few ulps each). 1e-4 leaves a 13x margin and still fails on any wrong kernel, whose error is
    // of order 1. The dw_bn/beta gradients differ by 100% but are analytically zero (a constant
    // shift that the next batch norm subtracts again; norm ~1e-7), so they barely weigh here.
    expect(error).toBeLessThan(1e-4);
    expect(norm).toBeGreaterThan(0);
  });

  it("three SGD steps of OnnxTrainer on one webgpu session give the cpu replicas' losses", (context) => {
    if (skipReason) return skipUnlessCi(context, skipReason);
    const result = child('steps') as Record<'webgpu' | 'cpu', { detail: string; losses: number[] }>;
    expect(result.webgpu.detail).toMatch(/\(webgpu\)$/);
    expect(result.cpu.detail).toMatch(/\(cpu/);
    const { webgpu, cpu } = { webgpu: result.webgpu.losses, cpu: result.cpu.losses };
    console.log(`3 SGD steps, webgpu ${webgpu.map((l) => l.toFixed(6)).join(' ')}, cpu ${cpu.map((l) => l.toFixed(6)).join(' ')}`);
    // The steps change the model: the losses are not one number three times.
    expect(Math.abs(cpu[2] - cpu[0])).toBeGreaterThan(1e-3);
    // Measured relative differences 5.7e-7, 1.7e-7, 3.2e-6 (lr 0.02): the gradients' float32 rounding
    // (test above) compounds through the updated weights. 1e-4 leaves a 30x margin at step 3.
    // This holds only while no ReLU input lies within rounding of 0: one that does takes the other
    // side of the kink on one device, and the trajectories then part for good. At 0.25x (same seeds)
    // micro-batch 1 of step 1 has one (stage3.unit3.pw1_bn, 1.8e-6 on the cpu, -9.6e-8 on webgpu):
    // losses part by 6e-4 and 1% at steps 2 and 3, yet given the same state after step 1 the two
    // devices agree to 1e-6 at steps 2 and 3, and the cpu alone, its weights scaled by 1 + 1e-6 noise,
    // parts by 2.5% at step 3. So this checks kernels at a seed that happens to miss every kink.
    webgpu.forEach((l, i) => expect(Math.abs(l - cpu[i]) / cpu[i], `step ${i + 1}`).toBeLessThan(1e-4));
  });

  it('a run trained 1 epoch on webgpu resumes on the cpu, and the other way', (context) => {
    if (skipReason) return skipUnlessCi(context, skipReason);
    const dir = mkdtempSync(path.join(tmpdir(), 'shufflenet-webgpu-resume-'));
    try {
      type Run = {
        events: { type: string; backend?: string; startEpoch?: number; config?: { device?: string }; epoch?: number; trainLoss?: number; valLoss?: number }[];
        stoppedAt?: string;
        checkpoint: string;
      };
      const { straight, gpuThenCpu, cpuThenGpu } = child('resume', dir) as Record<'straight' | 'gpuThenCpu' | 'cpuThenGpu', Run>;
      // The device comes from each call's training config (SHUFFLENET_DEVICE names the other one), and the session's config says it.
      const starts = (run: Run) =>
        run.events.filter((e) => e.type === 'start').map((e) => [e.backend?.replace(/^onnxruntime-node \S+ /, ''), e.startEpoch, e.config?.device]);
      expect(starts(straight)).toEqual([['(cpu)', 0, 'cpu']]);
      expect(starts(gpuThenCpu)).toEqual([
        ['(webgpu)', 0, 'webgpu'],
        ['(cpu)', 1, 'cpu'],
      ]);
      expect(starts(cpuThenGpu)).toEqual([
        ['(cpu)', 0, 'cpu'],
        ['(webgpu)', 1, 'webgpu'],
      ]);
      for (const run of [gpuThenCpu, cpuThenGpu]) {
        expect(path.basename(run.stoppedAt ?? '')).toBe('epoch-0001');
        expect(path.basename(run.checkpoint)).toBe('epoch-0002');
      }
      const epochs = (run: Run) => run.events.filter((e) => e.type === 'epoch');
      const [s, c] = [epochs(straight), epochs(cpuThenGpu)];
      // Epoch 1 ran on the cpu in both: bit for bit. Epoch 2 on webgpu from that checkpoint:
      // measured 9e-6 (train loss) and 2.5e-5 (validation loss) relative; bound 1e-4.
      const losses = (e: Run['events'][number]) => [e.trainLoss, e.valLoss];
      expect(losses(c[0])).toEqual(losses(s[0]));
      expect(Math.abs(c[1].trainLoss! - s[1].trainLoss!) / s[1].trainLoss!).toBeLessThan(1e-4);
      expect(Math.abs(c[1].valLoss! - s[1].valLoss!) / s[1].valLoss!).toBeLessThan(1e-4);
      const g = epochs(gpuThenCpu);
      console.log(
        `resume: straight cpu ${s.map((e) => e.trainLoss).join(' ')}, webgpu then cpu ${g.map((e) => e.trainLoss).join(' ')}, cpu then webgpu ${c.map((e) => e.trainLoss).join(' ')}`,
      );
      // Its losses are not compared with straight's: the first step meets a ReLU kink (see the steps
      // test), one input in stage 3 being -1.7e-5 on the cpu provider and +1.3e-5 on webgpu.
      // Measured: the first step's loss agrees to 1e-6, the second's parts by 9e-4; epoch 2 train
      // loss straight 0.6913, webgpu then cpu 0.6617, and straight on tfjs (runtime 'tfjs', same
      // seed), which rounds to webgpu's side there, 0.6617.
      expect(g.map((e) => e.epoch)).toEqual([1, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
