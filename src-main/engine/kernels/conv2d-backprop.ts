/**
 * Convolution gradients for the wasm backend, expressed as XNNPACK GEMMs.
 *
 * Conv2DBackpropFilter is missing from tfjs-backend-wasm 4.22; Conv2DBackpropInput exists but is a
 * scalar loop. Both become matrix products over the "patch matrix" (im2col) of the input:
 *   filter gradient  dW [kh*kw*cin, cout] = cols^T [kh*kw*cin, P] x dy [P, cout]
 *   input gradient   dcols [P, kh*kw*cin] = dy [P, cout] x W^T [cout, kh*kw*cin], scattered back (col2im)
 * with P = batch * outHeight * outWidth. A 1x1 stride-1 convolution needs no patch matrix at all.
 * Patch matrices are built per slice of the batch so they stay below `patchLimit.bytes`.
 */
import * as tf from '@tensorflow/tfjs';
import { matMul2d } from './batch-mat-mul';
import { alloc, f32, free, input, reshape, transpose, type TensorInfo, type WasmBackend, type WasmKernelArgs } from './wasm-context';

/** Largest patch matrix built at once; tests lower it to exercise the batch slicing. */
export const patchLimit = { bytes: 64 * 1024 * 1024 };

type Conv2DInfo = tf.backend_util.Conv2DInfo;

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

function toNhwcShape(shape: number[], format: ConvAttrs['dataFormat']): number[] {
  return format === 'NCHW' ? TO_NHWC.map((d) => shape[d]) : shape;
}

function isPointwise(c: Conv2DInfo): boolean {
  return c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 && c.strideWidth === 1 && c.padInfo.top === 0 && c.padInfo.left === 0;
}

/** Images per patch-matrix slice. */
function sliceSize(c: Conv2DInfo): number {
  const bytesPerImage = c.outHeight * c.outWidth * c.filterHeight * c.filterWidth * c.inChannels * 4;
  return Math.max(1, Math.min(c.batchSize, Math.floor(patchLimit.bytes / bytesPerImage)));
}

/** Writes the patch rows of images [n0, n1) of x (NHWC) into cols [rows, kh*kw*cin], zero padded. */
function im2col(x: Float32Array, cols: Float32Array, c: Conv2DInfo, n0: number, n1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, filterHeight: fh, filterWidth: fw } = c;
  const { strideHeight: sh, strideWidth: sw } = c;
  const { top, left } = c.padInfo;
  let d = 0;
  for (let n = n0; n < n1; n++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sh - top + ky;
          for (let kx = 0; kx < fw; kx++, d += C) {
            const ix = ox * sw - left + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
              cols.fill(0, d, d + C);
              continue;
            }
            const s = ((n * H + iy) * W + ix) * C;
            if (C >= 32) cols.set(x.subarray(s, s + C), d);
            else for (let i = 0; i < C; i++) cols[d + i] = x[s + i];
          }
        }
      }
    }
  }
}

/** Adds patch rows dcols of images [n0, n1) back into dx (NHWC), the inverse of im2col. */
function col2im(dcols: Float32Array, dx: Float32Array, c: Conv2DInfo, n0: number, n1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, filterHeight: fh, filterWidth: fw } = c;
  const { strideHeight: sh, strideWidth: sw } = c;
  const { top, left } = c.padInfo;
  let d = 0;
  for (let n = n0; n < n1; n++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sh - top + ky;
          for (let kx = 0; kx < fw; kx++, d += C) {
            const ix = ox * sw - left + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const s = ((n * H + iy) * W + ix) * C;
            for (let i = 0; i < C; i++) dx[s + i] += dcols[d + i];
          }
        }
      }
    }
  }
}

/** Copies rows [r0, r0 + rows) of a [*, width] tensor into a new [rows, width] tensor. */
function rowSlice(backend: WasmBackend, t: TensorInfo, r0: number, rows: number, width: number): TensorInfo {
  const out = alloc(backend, [rows, width]);
  f32(backend, out).set(f32(backend, t).subarray(r0 * width, (r0 + rows) * width));
  return out;
}

/** dW for NHWC x and dy; returns [kh, kw, cin, cout]. */
function filterGradNhwc(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, c: Conv2DInfo): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: cin, outChannels: cout } = c;
  const kc = fh * fw * cin;
  const pixelsPerImage = c.outHeight * c.outWidth;
  if (isPointwise(c)) {
    const x2 = reshape(backend, x, [c.batchSize * pixelsPerImage, cin]);
    const dy2 = reshape(backend, dy, [c.batchSize * pixelsPerImage, cout]);
    const dw = matMul2d(backend, x2, dy2, true, false);
    free(backend, x2, dy2);
    const out = reshape(backend, dw, c.filterShape);
    free(backend, dw);
    return out;
  }
  const step = sliceSize(c);
  const out = alloc(backend, c.filterShape);
  for (let n0 = 0; n0 < c.batchSize; n0 += step) {
    const n1 = Math.min(c.batchSize, n0 + step);
    const rows = (n1 - n0) * pixelsPerImage;
    const cols = alloc(backend, [rows, kc]);
    im2col(f32(backend, x), f32(backend, cols), c, n0, n1);
    const dySlice = n1 - n0 === c.batchSize ? reshape(backend, dy, [rows, cout]) : rowSlice(backend, dy, n0 * pixelsPerImage, rows, cout);
    const part = matMul2d(backend, cols, dySlice, true, false);
    free(backend, cols, dySlice);
    const acc = f32(backend, out);
    const p = f32(backend, part);
    if (n0 === 0) acc.set(p);
    else for (let i = 0; i < acc.length; i++) acc[i] += p[i];
    free(backend, part);
  }
  return out;
}

/** dx for NHWC dy; returns [batch, inHeight, inWidth, cin]. */
function inputGradNhwc(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, c: Conv2DInfo): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: cin, outChannels: cout } = c;
  const kc = fh * fw * cin;
  const pixelsPerImage = c.outHeight * c.outWidth;
  const w2 = reshape(backend, filter, [kc, cout]);
  try {
    if (isPointwise(c)) {
      const dy2 = reshape(backend, dy, [c.batchSize * pixelsPerImage, cout]);
      const dx2 = matMul2d(backend, dy2, w2, false, true);
      free(backend, dy2);
      const out = reshape(backend, dx2, c.inShape);
      free(backend, dx2);
      return out;
    }
    const wt = transpose(backend, w2, [1, 0]);
    const out = alloc(backend, c.inShape);
    f32(backend, out).fill(0);
    const step = sliceSize(c);
    for (let n0 = 0; n0 < c.batchSize; n0 += step) {
      const n1 = Math.min(c.batchSize, n0 + step);
      const rows = (n1 - n0) * pixelsPerImage;
      const dySlice = n1 - n0 === c.batchSize ? reshape(backend, dy, [rows, cout]) : rowSlice(backend, dy, n0 * pixelsPerImage, rows, cout);
      const dcols = matMul2d(backend, dySlice, wt, false, false);
      col2im(f32(backend, dcols), f32(backend, out), c, n0, n1);
      free(backend, dySlice, dcols);
    }
    free(backend, wt);
    return out;
  } finally {
    free(backend, w2);
  }
}

/** Conv2DBackpropFilter: inputs x, dy (NHWC or NCHW); returns the filter gradient [kh, kw, cin, cout]. */
export function conv2DBackpropFilter(args: WasmKernelArgs<ConvAttrs & { filterShape: number[] }>): TensorInfo {
  const { backend, attrs } = args;
  let x = input(args, 'x');
  let dy = input(args, 'dy');
  const nchw = attrs.dataFormat === 'NCHW';
  if (nchw) {
    x = transpose(backend, x, TO_NHWC);
    dy = transpose(backend, dy, TO_NHWC);
  }
  try {
    return filterGradNhwc(backend, x, dy, convInfo(x.shape, attrs.filterShape, attrs));
  } finally {
    if (nchw) free(backend, x, dy);
  }
}

/** Conv2DBackpropInput: inputs dy, filter; returns dx with `attrs.inputShape`. */
export function conv2DBackpropInput(args: WasmKernelArgs<ConvAttrs & { inputShape: number[] }>): TensorInfo {
  const { backend, attrs } = args;
  let dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const nchw = attrs.dataFormat === 'NCHW';
  if (nchw) dy = transpose(backend, dy, TO_NHWC);
  try {
    const c = convInfo(toNhwcShape(attrs.inputShape, attrs.dataFormat), filter.shape, attrs);
    const dx = inputGradNhwc(backend, dy, filter, c);
    if (!nchw) return dx;
    const out = transpose(backend, dx, TO_NCHW);
    free(backend, dx);
    return out;
  } finally {
    if (nchw) free(backend, dy);
  }
}
