/**
 * The matrix products every wasm kernel here is built on.
 *
 * `gemmInto` calls the backend's exported C function BatchMatMul directly, which runs XNNPACK's
 * fully-connected GEMM for an untransposed, unbatched product, so the operands and the result can
 * be views into larger tensors (no copies). XNNPACK first packs the right operand (and caches the
 * packed copy by tensor id), which costs several plain copies of it: when the left operand has
 * only a few rows (a column sum written as ones x X), summing the right operand's rows with
 * XNNPACK's average pooling is 3-4x faster, so `gemmInto` switches to that up to GEMV_ROWS rows.
 */
import { f32, free, releaseView, reshape, run, view, wasmId, type TensorInfo, type WasmBackend } from './wasm-context';

const GEMV_ROWS = 4;

type CBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

const exported = new WeakMap<object, CBatchMatMul>();

function cBatchMatMul(backend: WasmBackend): CBatchMatMul {
  let fn = exported.get(backend.wasm);
  if (!fn) {
    const types = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];
    const module = backend.wasm as unknown as { cwrap(name: string, ret: null, args: string[]): CBatchMatMul };
    fn = module.cwrap('BatchMatMul', null, types);
    exported.set(backend.wasm, fn);
  }
  return fn;
}

const shapeBytes = (dims: number[]): Uint8Array => new Uint8Array(new Int32Array(dims).buffer);

/**
 * out[row, :] = sum_k a[row, k] * b[k, :] for a few rows: XNNPACK's average pooling sums the
 * rows of b (channels innermost, SIMD) in one window over all k; a row of a that is not constant
 * first scales b's rows with a broadcast Multiply.
 */
function weightedColumnSums(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, m: number, k: number, n: number): void {
  const pool = (t: TensorInfo): TensorInfo => run(backend, 'AvgPool', { x: t }, { filterSize: [k, 1], strides: 1, pad: 'valid' });
  const b4 = reshape(backend, b, [1, k, 1, n]);
  try {
    for (let row = 0; row < m; row++) {
      const weights = f32(backend, a).subarray(row * k, (row + 1) * k);
      const first = weights[0];
      const constant = weights.every((w) => w === first);
      let sums: TensorInfo;
      if (constant) {
        sums = pool(b4);
      } else {
        const column = view(backend, a, row * k, [1, k, 1, 1]);
        const scaled = run(backend, 'Multiply', { a: b4, b: column });
        releaseView(backend, column);
        sums = pool(scaled);
        free(backend, scaled);
      }
      const factor = constant ? first * k : k;
      const dst = f32(backend, out);
      const src = f32(backend, sums);
      for (let c = 0; c < n; c++) dst[row * n + c] = src[c] * factor;
      free(backend, sums);
    }
  } finally {
    free(backend, b4);
  }
}

/**
 * out [m, n] = a [m, k] x b [k, n], all float32 tensors (or views) on the wasm heap; `out` must
 * not overlap the operands. Shapes are passed explicitly so any block of memory can serve.
 */
export function gemmInto(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, m: number, k: number, n: number): void {
  if (m <= GEMV_ROWS) {
    weightedColumnSums(backend, a, b, out, m, k, n);
    return;
  }
  cBatchMatMul(backend)(wasmId(backend, a), shapeBytes([1, m, k]), 3, wasmId(backend, b), shapeBytes([1, k, n]), 3, 0, 0, wasmId(backend, out));
}
