/**
 * Depthwise filter gradient (channel multiplier 1) on the wasm backend's SIMD kernels.
 *
 * dW[ky, kx, c] = sum over n, oy, ox of x[n, oy*sh - top + ky*dh, ox*sw - left + kx*dw, c] * dy[n, oy, ox, c].
 * x is zero padded and split into sh*sw stride phases (phase (py, px) holds the padded pixels
 * whose row is py mod sh and column px mod sw), and dy is zero padded to a phase's grid. Then the
 * pixels one filter tap reads form a flat, contiguous view of one phase at a fixed offset, lined
 * up element for element with padded dy: positions that wrap into the next row or image meet
 * zeros in dy. Each tap is one broadcast-free Multiply and one sum over all pixels (an average
 * pool over a window covering them), both XNNPACK, instead of 3 ns per multiply-add in JavaScript.
 */
import * as tf from '@tensorflow/tfjs';
import { alloc, f32, free, releaseView, run, view, type TensorInfo, type WasmBackend } from './wasm-context';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

interface PhaseLayout {
  /** Grid of one phase (and of padded dy): [batch, rows, cols, channels]. */
  rows: number;
  cols: number;
  /** Floats in one phase grid, and the zeroed tail after it that the farthest tap reads into. */
  plane: number;
  stride: number;
}

function phaseLayout(c: Conv2DInfo): PhaseLayout {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = c;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = c;
  const paddedH = Math.max(H + c.padInfo.top, (Ho - 1) * sh + (fh - 1) * dh + 1);
  const paddedW = Math.max(W + c.padInfo.left, (Wo - 1) * sw + (fw - 1) * dw + 1);
  const rows = Math.ceil(paddedH / sh);
  const cols = Math.ceil(paddedW / sw);
  const plane = N * rows * cols * C;
  const tail = (Math.floor(((fh - 1) * dh) / sh) * cols + Math.floor(((fw - 1) * dw) / sw)) * C;
  return { rows, cols, plane, stride: plane + tail };
}

/** x [batch, H, W, C] zero padded and split into stride phases, one after another. */
function phasesOf(backend: WasmBackend, x: TensorInfo, c: Conv2DInfo, p: PhaseLayout): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, strideHeight: sh, strideWidth: sw } = c;
  const { top, left } = c.padInfo;
  const out = alloc(backend, [sh * sw * p.stride]);
  const dst = f32(backend, out);
  const src = f32(backend, x);
  dst.fill(0);
  for (let n = 0; n < N; n++) {
    for (let iy = 0; iy < H; iy++) {
      const r = iy + top;
      const py = r % sh;
      const rowBase = py * sw * p.stride + (n * p.rows + (r - py) / sh) * p.cols * C;
      const srcRow = (n * H + iy) * W * C;
      if (sw === 1) {
        dst.set(src.subarray(srcRow, srcRow + W * C), rowBase + left * C);
        continue;
      }
      for (let ix = 0; ix < W; ix++) {
        const q = ix + left;
        const px = q % sw;
        const to = rowBase + px * p.stride + ((q - px) / sw) * C;
        dst.set(src.subarray(srcRow + ix * C, srcRow + (ix + 1) * C), to);
      }
    }
  }
  return out;
}

/** dy [batch, Ho, Wo, C] zero padded to the phase grid. */
function paddedDy(backend: WasmBackend, dy: TensorInfo, c: Conv2DInfo, p: PhaseLayout): TensorInfo {
  const { batchSize: N, outHeight: Ho, outWidth: Wo, inChannels: C } = c;
  const out = alloc(backend, [1, p.plane / C, 1, C]);
  const dst = f32(backend, out);
  const src = f32(backend, dy);
  dst.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < Ho; oy++) {
      const from = (n * Ho + oy) * Wo * C;
      dst.set(src.subarray(from, from + Wo * C), (n * p.rows + oy) * p.cols * C);
    }
  }
  return out;
}

/** The filter gradient [kh, kw, C, 1] for a channel multiplier of 1. */
export function depthwiseFilterGrad(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, c: Conv2DInfo): TensorInfo {
  const { inChannels: C, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw } = c;
  const p = phaseLayout(c);
  const pixels = p.plane / C;
  const phases = phasesOf(backend, x, c, p);
  const dyp = paddedDy(backend, dy, c, p);
  const out = alloc(backend, [fh, fw, C, 1]);
  try {
    for (let ky = 0; ky < fh; ky++) {
      for (let kx = 0; kx < fw; kx++) {
        const a = ky * dh;
        const b = kx * dw;
        const phase = (a % sh) * sw + (b % sw);
        const offset = phase * p.stride + (Math.floor(a / sh) * p.cols + Math.floor(b / sw)) * C;
        const taps = view(backend, phases, offset, [1, pixels, 1, C]);
        const products = run(backend, tf.Multiply, { a: taps, b: dyp });
        releaseView(backend, taps);
        const means = run(backend, tf.AvgPool, { x: products }, { filterSize: [pixels, 1], strides: 1, pad: 'valid' });
        free(backend, products);
        const dst = f32(backend, out);
        const src = f32(backend, means);
        const base = (ky * fw + kx) * C;
        for (let i = 0; i < C; i++) dst[base + i] = src[i] * pixels;
        free(backend, means);
      }
    }
    return out;
  } finally {
    free(backend, phases, dyp);
  }
}
