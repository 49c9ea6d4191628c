/**
 * The matrix products every wasm kernel here is built on.
 *
 * `gemmInto` calls the backend's exported C function BatchMatMul directly, which runs XNNPACK's
 * fully-connected GEMM for an untransposed, unbatched product, so the operands and the result can
 * be views into larger tensors (no copies). XNNPACK first packs the right operand (and caches the
 * packed copy by tensor id), which costs about four plain copies of it: when the left operand has
 * only a few rows (a column sum written as ones x X), a JavaScript loop that streams the right
 * operand once is faster, so `gemmInto` switches to that below GEMV_ROWS rows.
 */
import { f32, wasmId, type TensorInfo, type WasmBackend } from './wasm-context';

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

/** out[m, n] = sum_k a[m, k] * b[k, n], streaming b once; float64 accumulators. */
function gemvInto(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void {
  const acc = new Float64Array(n);
  for (let row = 0; row < m; row++) {
    acc.fill(0);
    const aRow = row * k;
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const a0 = a[aRow + j];
      const a1 = a[aRow + j + 1];
      const a2 = a[aRow + j + 2];
      const a3 = a[aRow + j + 3];
      const b0 = j * n;
      for (let c = 0; c < n; c++) {
        const i = b0 + c;
        acc[c] += a0 * b[i] + a1 * b[i + n] + a2 * b[i + 2 * n] + a3 * b[i + 3 * n];
      }
    }
    for (; j < k; j++) {
      const aj = a[aRow + j];
      const b0 = j * n;
      for (let c = 0; c < n; c++) acc[c] += aj * b[b0 + c];
    }
    out.set(acc, row * n);
  }
}

/**
 * out [m, n] = a [m, k] x b [k, n], all float32 tensors (or views) on the wasm heap; `out` must
 * not overlap the operands. Shapes are passed explicitly so any block of memory can serve.
 */
export function gemmInto(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, m: number, k: number, n: number): void {
  if (m <= GEMV_ROWS) {
    gemvInto(f32(backend, a), f32(backend, b), f32(backend, out), m, k, n);
    return;
  }
  cBatchMatMul(backend)(wasmId(backend, a), shapeBytes([1, m, k]), 3, wasmId(backend, b), shapeBytes([1, k, n]), 3, 0, 0, wasmId(backend, out));
}
