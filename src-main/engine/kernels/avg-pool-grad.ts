/**
 * AvgPoolGrad for the wasm backend. tfjs spreads each output gradient evenly over its window,
 * dividing by the full window size even where the window hangs over the padding (the forward pass
 * divides by the valid count; tfjs's cpu and wasm kernels agree on this, and so does this one).
 * That is the input gradient of a depthwise convolution whose filter is 1/(kh*kw) everywhere, so it
 * runs on the same XNNPACK path as the depthwise gradient: the original wasm kernel is a scalar loop,
 * about 10 ms for ShuffleNet's 16x16x48 shortcut at batch 8.
 */
import * as tf from '@tensorflow/tfjs';
import { inputGradByConvolution } from './depthwise-backprop';
import { alloc, f32, free, input, type TensorInfo, type WasmKernelArgs } from './wasm-context';

interface AvgPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** AvgPoolGrad: inputs dy [batch, outH, outW, C], input x [batch, H, W, C]; returns dx like x. */
export function avgPoolGrad(args: WasmKernelArgs<AvgPoolGradAttrs>): TensorInfo {
  const { backend, attrs } = args;
  const dy = input(args, 'dy');
  const x = input(args, 'input');
  const c = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const filter = alloc(backend, [c.filterHeight, c.filterWidth, c.inChannels, 1]);
  f32(backend, filter).fill(1 / (c.filterHeight * c.filterWidth));
  try {
    return inputGradByConvolution(backend, dy, filter, c);
  } finally {
    free(backend, filter);
  }
}
