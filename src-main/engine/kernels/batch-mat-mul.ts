/**
 * BatchMatMul for the wasm backend, routed to XNNPACK.
 *
 * tfjs-backend-wasm 4.22 only uses XNNPACK's fully-connected GEMM for an unbatched product with
 * neither operand transposed; everything else (every matMul in a gradient) falls into a scalar
 * triple loop about 12x slower, and its broadcasting of a batch of 1 reads out of bounds. This
 * kernel rewrites each product into untransposed 2-D GEMMs: it transposes whichever operand (or
 * the result) is cheapest to transpose, folds a broadcast batch into the GEMM's rows or columns,
 * and loops over matching batches only when both operands really are batched.
 */
import * as tf from '@tensorflow/tfjs';
import { alloc, f32, free, reshape, sizeOf, transpose, wasmKernel, type TensorInfo, type WasmBackend, type WasmKernelArgs } from './wasm-context';

/** Products this small are cheaper in the original kernel's loop than in XNNPACK setup. */
const SMALL_PRODUCT = 1 << 15;

/** XNNPACK GEMM of `a` [m, k] by `b` [k, n] -> [m, n] through the original wasm kernel. */
export function gemm(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  return originalBatchMatMul(backend, a, b, false, false);
}

function originalBatchMatMul(backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const out = wasmKernel(tf.BatchMatMul)({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } });
  return Array.isArray(out) ? out[0] : out;
}

function transpose2d(backend: WasmBackend, x: TensorInfo): TensorInfo {
  return transpose(backend, x, [1, 0]);
}

/** Applies `f` to the transposed `x`, freeing the transposed copy. */
function withTransposed<T>(backend: WasmBackend, x: TensorInfo, f: (xt: TensorInfo) => T): T {
  const xt = transpose2d(backend, x);
  try {
    return f(xt);
  } finally {
    free(backend, xt);
  }
}

/**
 * 2-D product op(a) x op(b) with op = transpose when the flag is set, always through the fast GEMM.
 * a: [m, k] or [k, m] when transposeA; b: [k, n] or [n, k] when transposeB. Returns [m, n].
 */
export function matMul2d(backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const [a0, a1] = a.shape;
  const [b0, b1] = b.shape;
  if (!transposeA && !transposeB) return gemm(backend, a, b);
  if (transposeA && transposeB) {
    // a^T b^T = (b a)^T: only the [n, m] result is transposed.
    const ba = gemm(backend, b, a);
    const out = transpose2d(backend, ba);
    free(backend, ba);
    return out;
  }
  if (transposeA) {
    // a [k, m], b [k, n]. Either transpose a (k*m), or compute (b^T a)^T (k*n + n*m).
    const m = a1;
    const n = b1;
    const k = a0;
    if (k * m <= k * n + n * m) return withTransposed(backend, a, (at) => gemm(backend, at, b));
    const btA = withTransposed(backend, b, (bt) => gemm(backend, bt, a));
    const out = transpose2d(backend, btA);
    free(backend, btA);
    return out;
  }
  // a [m, k], b [n, k]. Either transpose b (n*k), or compute (b a^T)^T (m*k + m*n).
  const m = a0;
  const k = a1;
  const n = b0;
  if (n * k <= m * k + m * n) return withTransposed(backend, b, (bt) => gemm(backend, a, bt));
  const bAt = withTransposed(backend, a, (at) => gemm(backend, b, at));
  const out = transpose2d(backend, bAt);
  free(backend, bAt);
  return out;
}

/** Copies `count` floats between two heap tensors (offsets in elements). */
function copy(backend: WasmBackend, src: TensorInfo, srcOffset: number, dst: TensorInfo, dstOffset: number, count: number): void {
  f32(backend, dst).set(f32(backend, src).subarray(srcOffset, srcOffset + count), dstOffset);
}

/** Index into a batch whose outer dims broadcast against `outOuter`. */
function broadcastIndex(flat: number, outOuter: number[], outer: number[]): number {
  let index = 0;
  let stride = 1;
  let rest = flat;
  const offset = outOuter.length - outer.length;
  for (let d = outOuter.length - 1; d >= 0; d--) {
    const coord = rest % outOuter[d];
    rest = Math.floor(rest / outOuter[d]);
    const dim = d - offset >= 0 ? outer[d - offset] : 1;
    if (dim !== 1) index += coord * stride;
    stride *= dim;
  }
  return index;
}

/**
 * BatchMatMul kernel: a [...batchA, m, k] (or [..., k, m]), b [...batchB, k, n] (or [..., n, k]),
 * batch dims broadcasting. Returns [...broadcast(batchA, batchB), m, n].
 */
export function batchMatMul(args: WasmKernelArgs<{ transposeA: boolean; transposeB: boolean }>): TensorInfo {
  const { backend } = args;
  const a = args.inputs.a!;
  const b = args.inputs.b!;
  const { transposeA, transposeB } = args.attrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return originalBatchMatMul(backend, a, b, transposeA, transposeB);

  const aInner = a.shape.slice(-2);
  const bInner = b.shape.slice(-2);
  const [m, k] = transposeA ? [aInner[1], aInner[0]] : aInner;
  const [kb, n] = transposeB ? [bInner[1], bInner[0]] : bInner;
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} must match.`);
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outOuter = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const outShape = [...outOuter, m, n];
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const batchOut = sizeOf(outOuter);

  if (batchA === batchB && batchOut * m * n * k < SMALL_PRODUCT) {
    return originalBatchMatMul(backend, a, b, transposeA, transposeB);
  }

  const toFree: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => (toFree.push(t), t);
  try {
    let result: TensorInfo;
    if (batchA === 1 && batchB === 1) {
      result = matMul2d(backend, keep(reshape(backend, a, aInner)), keep(reshape(backend, b, bInner)), transposeA, transposeB);
    } else if (batchB === 1) {
      // Every batch of a meets the same b: stack a's rows into one GEMM.
      let a3 = keep(reshape(backend, a, [batchA, ...aInner]));
      if (transposeA) a3 = keep(transpose(backend, a3, [0, 2, 1]));
      const rows = keep(reshape(backend, a3, [batchA * m, k]));
      result = matMul2d(backend, rows, keep(reshape(backend, b, bInner)), false, transposeB);
    } else if (batchA === 1) {
      // One a meets every batch of b: put b's batches side by side as extra columns.
      const b3 = keep(reshape(backend, b, [batchB, ...bInner]));
      const a2 = keep(reshape(backend, a, aInner));
      let wide: TensorInfo;
      if (transposeB) {
        wide = keep(matMul2d(backend, a2, keep(reshape(backend, b3, [batchB * n, k])), transposeA, true));
      } else {
        const cols = keep(reshape(backend, keep(transpose(backend, b3, [1, 0, 2])), [k, batchB * n]));
        wide = keep(matMul2d(backend, a2, cols, transposeA, false));
      }
      result = transpose(backend, keep(reshape(backend, wide, [m, batchB, n])), [1, 0, 2]);
    } else {
      result = batchedLoop(backend, a, b, transposeA, transposeB, { m, k, n, outOuter, outerA, outerB });
    }
    const out = reshape(backend, result, outShape);
    free(backend, result);
    return out;
  } finally {
    free(backend, ...toFree);
  }
}

function batchedLoop(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  dims: { m: number; k: number; n: number; outOuter: number[]; outerA: number[]; outerB: number[] },
): TensorInfo {
  const { m, k, n, outOuter, outerA, outerB } = dims;
  const batchOut = sizeOf(outOuter);
  const aSize = m * k;
  const bSize = k * n;
  const out = alloc(backend, [batchOut, m, n]);
  for (let i = 0; i < batchOut; i++) {
    // Fresh operands each time: XNNPACK caches its packed copy of b by tensor id.
    const ai = alloc(backend, a.shape.slice(-2));
    const bi = alloc(backend, b.shape.slice(-2));
    copy(backend, a, broadcastIndex(i, outOuter, outerA) * aSize, ai, 0, aSize);
    copy(backend, b, broadcastIndex(i, outOuter, outerB) * bSize, bi, 0, bSize);
    const ci = matMul2d(backend, ai, bi, transposeA, transposeB);
    copy(backend, ci, 0, out, i * m * n, m * n);
    free(backend, ai, bi, ci);
  }
  return out;
}

/** Registry entry that replaces the wasm BatchMatMul (the original is kept for `gemm`). */
export function batchMatMulConfig(): tf.KernelConfig {
  const original = tf.getKernel(tf.BatchMatMul, 'wasm');
  wasmKernel(tf.BatchMatMul);
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    setupFunc: original?.setupFunc,
    kernelFunc: batchMatMul as unknown as tf.KernelFunc,
  };
}
