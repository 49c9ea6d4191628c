/**
 * BatchMatMul for the wasm backend, routed to XNNPACK.
 *
 * tfjs-backend-wasm 4.22 only uses XNNPACK's fully-connected GEMM for an unbatched product with
 * neither operand transposed; everything else (every matMul in a gradient, every batched product)
 * falls into a scalar triple loop about 12x slower, and its broadcasting of a batch of 1 reads out
 * of bounds. Here each product becomes untransposed GEMMs (see gemm.ts): the operand, or the
 * result, that is cheapest to transpose is transposed with the wasm Transpose kernel; a batch of 1
 * on one side folds into the GEMM's rows or columns; a real batch runs one GEMM per item on views
 * of the operands, writing straight into the output.
 */
import * as tf from '@tensorflow/tfjs';
import { gemmInto } from './gemm';
import {
  alloc,
  free,
  releaseView,
  reshape,
  run,
  sizeOf,
  transpose,
  view,
  wasmKernel,
  type TensorInfo,
  type WasmBackend,
  type WasmKernelArgs,
} from './wasm-context';

/** Products this small are cheaper in the original kernel's loop than in XNNPACK setup. */
const SMALL_PRODUCT = 1 << 15;

function originalBatchMatMul(backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const out = wasmKernel(tf.BatchMatMul)({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } });
  return Array.isArray(out) ? out[0] : out;
}

/** Swaps the last two axes of a rank-3 tensor. */
function swapLast(backend: WasmBackend, x: TensorInfo): TensorInfo {
  return transpose(backend, x, [0, 2, 1]);
}

/** out [batch, m, n] = a [batch, m, k] x b [batch, k, n], one GEMM per batch item on views. */
function batchedGemm(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  const [batch, m, k] = a.shape;
  const n = b.shape[2];
  const out = alloc(backend, [batch, m, n]);
  if (batch === 1) {
    gemmInto(backend, a, b, out, m, k, n);
    return out;
  }
  for (let i = 0; i < batch; i++) {
    const ai = view(backend, a, i * m * k, [m, k]);
    const bi = view(backend, b, i * k * n, [k, n]);
    const oi = view(backend, out, i * m * n, [m, n]);
    try {
      gemmInto(backend, ai, bi, oi, m, k, n);
    } finally {
      releaseView(backend, ai);
      releaseView(backend, bi);
      releaseView(backend, oi);
    }
  }
  return out;
}

/** Runs `f` on a temporary and frees it. */
function using<T>(backend: WasmBackend, temp: TensorInfo, f: (t: TensorInfo) => T): T {
  try {
    return f(temp);
  } finally {
    free(backend, temp);
  }
}

/** (b' a')^T for operands already arranged so that b' a' is an untransposed product. */
function transposedResult(backend: WasmBackend, left: TensorInfo, right: TensorInfo): TensorInfo {
  return using(backend, batchedGemm(backend, left, right), (t) => swapLast(backend, t));
}

/**
 * op(a) x op(b) for rank-3 a, b with equal batch: a [batch, m, k] (or [batch, k, m] when
 * transposeA), b [batch, k, n] (or [batch, n, k] when transposeB). Returns [batch, m, n].
 */
export function product3(backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  if (!transposeA && !transposeB) return batchedGemm(backend, a, b);
  if (transposeA && transposeB) return transposedResult(backend, b, a);
  if (transposeA) {
    // a [k, m], b [k, n]: transpose a (k*m), or compute (b^T a)^T (k*n + n*m).
    const [, k, m] = a.shape;
    const n = b.shape[2];
    if (k * m <= k * n + n * m) return using(backend, swapLast(backend, a), (at) => batchedGemm(backend, at, b));
    return using(backend, swapLast(backend, b), (bt) => transposedResult(backend, bt, a));
  }
  // a [m, k], b [n, k]: transpose b (n*k), or compute (b a^T)^T (m*k + m*n).
  const [, m, k] = a.shape;
  const n = b.shape[1];
  if (n * k <= m * k + m * n) return using(backend, swapLast(backend, b), (bt) => batchedGemm(backend, a, bt));
  return using(backend, swapLast(backend, a), (at) => transposedResult(backend, b, at));
}

/** 2-D op(a) x op(b) through the fast GEMM; a, b rank 2. Returns [m, n]. */
export function matMul2d(backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const a3 = reshape(backend, a, [1, ...a.shape]);
  const b3 = reshape(backend, b, [1, ...b.shape]);
  try {
    const out3 = product3(backend, a3, b3, transposeA, transposeB);
    const out = reshape(backend, out3, out3.shape.slice(1));
    free(backend, out3);
    return out;
  } finally {
    free(backend, a3, b3);
  }
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
  const batch = sizeOf(outOuter);

  if (batchA === batchB && batch * m * n * k < SMALL_PRODUCT) return originalBatchMatMul(backend, a, b, transposeA, transposeB);

  const temps: TensorInfo[] = [];
  const temp = (t: TensorInfo): TensorInfo => (temps.push(t), t);
  try {
    let result: TensorInfo;
    if (batchB === 1 && batchA > 1) {
      // Every batch item of a meets the same b: stack a's rows into one GEMM.
      let a3 = temp(reshape(backend, a, [batchA, ...aInner]));
      if (transposeA) a3 = temp(swapLast(backend, a3));
      result = product3(backend, temp(reshape(backend, a3, [1, batchA * m, k])), temp(reshape(backend, b, [1, ...bInner])), false, transposeB);
    } else if (batchA === 1 && batchB > 1) {
      // One a meets every batch item of b: put b's items side by side as extra columns.
      const a3 = temp(reshape(backend, a, [1, ...aInner]));
      const b3 = temp(reshape(backend, b, [batchB, ...bInner]));
      const wide = transposeB
        ? temp(product3(backend, a3, temp(reshape(backend, b3, [1, batchB * n, k])), transposeA, true))
        : temp(product3(backend, a3, temp(reshape(backend, temp(transpose(backend, b3, [1, 0, 2])), [1, k, batchB * n])), transposeA, false));
      result = transpose(backend, temp(reshape(backend, wide, [m, batchB, n])), [1, 0, 2]);
    } else {
      // Equal batches, or batch dims that broadcast against each other ([2, 1] with [1, 3]):
      // the latter are tiled out first.
      const full = (x: TensorInfo, outer: number[]): TensorInfo => {
        const padded = [...Array(outOuter.length - outer.length).fill(1), ...outer];
        const spread = padded.some((d, i) => d !== outOuter[i])
          ? temp(
              run(
                backend,
                tf.Tile,
                { x: temp(reshape(backend, x, [...padded, ...x.shape.slice(-2)])) },
                { reps: [...outOuter.map((d, i) => d / padded[i]), 1, 1] },
              ),
            )
          : x;
        return temp(reshape(backend, spread, [batch, ...x.shape.slice(-2)]));
      };
      result = product3(backend, full(a, outerA), full(b, outerB), transposeA, transposeB);
    }
    const out = reshape(backend, result, outShape);
    free(backend, result);
    return out;
  } finally {
    free(backend, ...temps);
  }
}

/** Registry entry that replaces the wasm BatchMatMul (the original is kept for small products). */
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
