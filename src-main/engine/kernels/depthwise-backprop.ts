/**
 * Depthwise convolution gradients for the wasm backend (both missing from tfjs-backend-wasm 4.22).
 *
 * The input gradient of a depthwise convolution is itself a depthwise convolution: dy, spread out
 * by the stride (zeros in between) and padded, correlated with the spatially flipped filter. With a
 * channel multiplier of 1 (ShuffleNet, MobileNet) that runs on the backend's XNNPACK depthwise
 * kernel, about 15x faster than a JavaScript loop; the filter gradient with a multiplier of 1 is
 * in depthwise-filter-grad.ts. With a larger multiplier both are tight loops over the wasm heap in
 * place (innermost loop over contiguous channels); the filter gradient accumulates in float64
 * because each weight sums batch*outHeight*outWidth products.
 * Layouts: x [batch, inHeight, inWidth, channels], filter [kh, kw, channels, multiplier],
 * dy [batch, outHeight, outWidth, channels*multiplier].
 */
import * as tf from '@tensorflow/tfjs';
import { depthwiseFilterGrad } from './depthwise-filter-grad';
import { alloc, f32, free, input, run, type TensorInfo, type WasmBackend, type WasmKernelArgs } from './wasm-context';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

interface DepthwiseAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function depthwiseInfo(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/** Calls `visit(xOffset, dyOffset, tapOffset)` for every (output pixel, filter tap) inside the input. */
function forEachTap(c: Conv2DInfo, visit: (xOffset: number, dyOffset: number, tapOffset: number) => void): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, outChannels: Co } = c;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const { top, left } = c.padInfo;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const dyOffset = ((n * Ho + oy) * Wo + ox) * Co;
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sh - top + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ox * sw - left + kx * dw;
            if (ix < 0 || ix >= W) continue;
            visit(((n * H + iy) * W + ix) * C, dyOffset, (ky * fw + kx) * Co);
          }
        }
      }
    }
  }
}

/** DepthwiseConv2dNativeBackpropFilter: inputs x, dy; returns [kh, kw, channels, multiplier]. */
export function depthwiseConv2dNativeBackpropFilter(args: WasmKernelArgs<DepthwiseAttrs & { filterShape: number[] }>): TensorInfo {
  const { backend, attrs } = args;
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const c = depthwiseInfo(x.shape, attrs.filterShape, attrs);
  const C = c.inChannels;
  const m = c.outChannels / C;
  if (m === 1) return depthwiseFilterGrad(backend, x, dy, c);
  const acc = new Float64Array(c.filterHeight * c.filterWidth * C * m);
  const out = alloc(backend, attrs.filterShape);
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  forEachTap(c, (xo, yo, wo) => {
    for (let i = 0; i < C; i++) {
      const xi = xv[xo + i];
      const base = i * m;
      for (let q = 0; q < m; q++) acc[wo + base + q] += xi * dyv[yo + base + q];
    }
  });
  f32(backend, out).set(acc);
  return out;
}

/** The filter [kh, kw, channels, 1] turned by 180 degrees in space. */
function flipped(backend: WasmBackend, filter: TensorInfo): TensorInfo {
  const [fh, fw, C] = filter.shape;
  const out = alloc(backend, filter.shape);
  const src = f32(backend, filter);
  const dst = f32(backend, out);
  for (let ky = 0; ky < fh; ky++) {
    for (let kx = 0; kx < fw; kx++) {
      const from = ((fh - 1 - ky) * fw + (fw - 1 - kx)) * C;
      dst.set(src.subarray(from, from + C), (ky * fw + kx) * C);
    }
  }
  return out;
}

/** dy with stride-1 zeros between its pixels: [batch, (outH-1)*sh+1, (outW-1)*sw+1, channels]. */
function spreadOut(backend: WasmBackend, dy: TensorInfo, c: Conv2DInfo): TensorInfo {
  const { batchSize: N, outHeight: Ho, outWidth: Wo, outChannels: C, strideHeight: sh, strideWidth: sw } = c;
  const H = (Ho - 1) * sh + 1;
  const W = (Wo - 1) * sw + 1;
  const out = alloc(backend, [N, H, W, C]);
  const dst = f32(backend, out);
  const src = f32(backend, dy);
  dst.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const from = ((n * Ho + oy) * Wo + ox) * C;
        dst.set(src.subarray(from, from + C), ((n * H + oy * sh) * W + ox * sw) * C);
      }
    }
  }
  return out;
}

/**
 * dx for a channel multiplier of 1 as an XNNPACK depthwise convolution; `c` may also describe a
 * pooling window (avg-pool-grad.ts).
 */
export function inputGradByConvolution(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, c: Conv2DInfo): TensorInfo {
  const strided = c.strideHeight > 1 || c.strideWidth > 1;
  const spread = strided ? spreadOut(backend, dy, c) : dy;
  const flip = flipped(backend, filter);
  try {
    const [, spreadH, spreadW] = spread.shape;
    const top = c.effectiveFilterHeight - 1 - c.padInfo.top;
    const left = c.effectiveFilterWidth - 1 - c.padInfo.left;
    const bottom = c.inHeight + c.effectiveFilterHeight - 1 - spreadH - top;
    const right = c.inWidth + c.effectiveFilterWidth - 1 - spreadW - left;
    return run(
      backend,
      tf.DepthwiseConv2dNative,
      { x: spread, filter: flip },
      {
        strides: 1,
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dilations: [c.dilationHeight, c.dilationWidth],
        dataFormat: 'NHWC',
      },
    );
  } finally {
    free(backend, flip);
    if (strided) free(backend, spread);
  }
}

/** DepthwiseConv2dNativeBackpropInput: inputs dy, filter; returns dx with `attrs.inputShape`. */
export function depthwiseConv2dNativeBackpropInput(args: WasmKernelArgs<DepthwiseAttrs & { inputShape: number[] }>): TensorInfo {
  const { backend, attrs } = args;
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const c = depthwiseInfo(attrs.inputShape, filter.shape, attrs);
  const C = c.inChannels;
  const m = c.outChannels / C;
  if (m === 1) return inputGradByConvolution(backend, dy, filter, c);
  const out = alloc(backend, attrs.inputShape);
  const dx = f32(backend, out);
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  dx.fill(0);
  forEachTap(c, (xo, yo, wo) => {
    for (let i = 0; i < C; i++) {
      const base = i * m;
      let s = 0;
      for (let q = 0; q < m; q++) s += dyv[yo + base + q] * wv[wo + base + q];
      dx[xo + i] += s;
    }
  });
  return out;
}
