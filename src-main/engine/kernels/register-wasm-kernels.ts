/**
 * Makes training work, and work fast, on tfjs-backend-wasm 4.22 through tfjs's public kernel
 * registry: adds the three missing gradient kernels, replaces BatchMatMul and Conv2DBackpropInput
 * with versions that run on XNNPACK's GEMM, runs AvgPoolGrad on XNNPACK and MaxPoolGrad in one
 * scan, makes Identity and same-dtype Cast share data instead of copying it, and gives
 * tf.batchNorm a gradient without full-size tiles.
 */
import * as tf from '@tensorflow/tfjs';
import { avgPoolGrad } from './avg-pool-grad';
import { batchMatMulConfig } from './batch-mat-mul';
import { fusedBatchNormGradConfig } from './batch-norm-grad';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-backprop';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise-backprop';
import { maxPoolGrad } from './max-pool-grad';
import { cast, identity } from './shared-data';
import { wasmKernel } from './wasm-context';

/** Kernel names this module adds to, or replaces in, the wasm backend. */
export const WASM_KERNEL_NAMES = [
  tf.BatchMatMul,
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.Identity,
  tf.Cast,
  tf.AvgPoolGrad,
  tf.MaxPoolGrad,
] as const;

let registered = false;

function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, 'wasm')) {
    wasmKernel(config.kernelName);
    tf.unregisterKernel(config.kernelName, 'wasm');
  }
  tf.registerKernel(config);
}

function own(kernelName: string, kernelFunc: unknown): tf.KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc };
}

/**
 * Registers the kernels for the 'wasm' backend. Idempotent; call after importing
 * '@tensorflow/tfjs-backend-wasm' (which registers the originals), before or after `setBackend`.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  if (!tf.getKernel(tf.BatchMatMul, 'wasm')) {
    throw new Error('registerWasmKernels: import @tensorflow/tfjs-backend-wasm first');
  }
  replace(batchMatMulConfig());
  replace(own(tf.Conv2DBackpropInput, conv2DBackpropInput));
  replace(own(tf.Conv2DBackpropFilter, conv2DBackpropFilter));
  replace(own(tf.DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropFilter));
  replace(own(tf.DepthwiseConv2dNativeBackpropInput, depthwiseConv2dNativeBackpropInput));
  replace(own(tf.Identity, identity));
  replace(own(tf.Cast, cast));
  replace(own(tf.AvgPoolGrad, avgPoolGrad));
  replace(own(tf.MaxPoolGrad, maxPoolGrad));
  // Gradients are backend-independent in tfjs; this one is exact on every backend, only faster.
  if (tf.getGradient(tf.FusedBatchNorm)) tf.unregisterGradient(tf.FusedBatchNorm);
  tf.registerGradient(fusedBatchNormGradConfig);
  registered = true;
}
