/**
 * Depthwise convolution gradients for the wasm backend (both missing from tfjs-backend-wasm 4.22).
 *
 * Depthwise work is small next to the 1x1 convolutions (9 multiply-adds per channel and pixel),
 * so these are tight loops over the wasm heap in place: no copies, the innermost loop runs over
 * contiguous channels. The filter gradient accumulates in float64 because each weight sums
 * batch*outHeight*outWidth products.
 * Layouts: x [batch, inHeight, inWidth, channels], filter [kh, kw, channels, multiplier],
 * dy [batch, outHeight, outWidth, channels*multiplier].
 */
import * as tf from '@tensorflow/tfjs';
import { alloc, f32, input, type TensorInfo, type WasmKernelArgs } from './wasm-context';

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
  const acc = new Float64Array(c.filterHeight * c.filterWidth * C * m);
  const out = alloc(backend, attrs.filterShape);
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  if (m === 1) {
    forEachTap(c, (xo, yo, wo) => {
      for (let i = 0; i < C; i++) acc[wo + i] += xv[xo + i] * dyv[yo + i];
    });
  } else {
    forEachTap(c, (xo, yo, wo) => {
      for (let i = 0; i < C; i++) {
        const xi = xv[xo + i];
        const base = i * m;
        for (let q = 0; q < m; q++) acc[wo + base + q] += xi * dyv[yo + base + q];
      }
    });
  }
  f32(backend, out).set(acc);
  return out;
}

/** DepthwiseConv2dNativeBackpropInput: inputs dy, filter; returns dx with `attrs.inputShape`. */
export function depthwiseConv2dNativeBackpropInput(args: WasmKernelArgs<DepthwiseAttrs & { inputShape: number[] }>): TensorInfo {
  const { backend, attrs } = args;
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const c = depthwiseInfo(attrs.inputShape, filter.shape, attrs);
  const C = c.inChannels;
  const m = c.outChannels / C;
  const out = alloc(backend, attrs.inputShape);
  const dx = f32(backend, out);
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  dx.fill(0);
  if (m === 1) {
    forEachTap(c, (xo, yo, wo) => {
      for (let i = 0; i < C; i++) dx[xo + i] += dyv[yo + i] * wv[wo + i];
    });
  } else {
    forEachTap(c, (xo, yo, wo) => {
      for (let i = 0; i < C; i++) {
        const base = i * m;
        let s = 0;
        for (let q = 0; q < m; q++) s += dyv[yo + base + q] * wv[wo + base + q];
        dx[xo + i] += s;
      }
    });
  }
  return out;
}
