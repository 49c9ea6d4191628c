/**
 * Small helpers for kernels that run on the wasm backend: call the backend's own kernel functions
 * directly (no engine bookkeeping, no tape), allocate and free heap tensors, and read or write
 * their float32 data in place on the wasm heap.
 *
 * Rules every kernel here follows: each intermediate TensorInfo is freed exactly once with `free`;
 * heap views from `f32` are taken again after any allocation, because growing the wasm memory
 * detaches the old ArrayBuffer.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type TensorInfo = tf.TensorInfo;
export type WasmBackend = BackendWasm;

/** Arguments every kernel function receives, typed for the wasm backend. */
export interface WasmKernelArgs<A = Record<string, unknown>> {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WasmBackend;
  attrs: A;
}

const kernelCache = new Map<string, tf.KernelFunc>();

/**
 * The wasm backend's registered kernel function for `name`, captured the first time it is
 * asked for. Kernels this project overrides are captured before the override is registered.
 */
export function wasmKernel(name: string): tf.KernelFunc {
  let fn = kernelCache.get(name);
  if (!fn) {
    const config = tf.getKernel(name, 'wasm');
    if (!config) throw new Error(`wasm kernel ${name} is not registered`);
    fn = config.kernelFunc;
    kernelCache.set(name, fn);
  }
  return fn;
}

/** Runs a wasm kernel function and returns its single output. */
export function run(backend: WasmBackend, name: string, inputs: Record<string, TensorInfo>, attrs: object = {}): TensorInfo {
  const out = wasmKernel(name)({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
  return Array.isArray(out) ? out[0] : out;
}

/** A reshaped alias of `x` (shares its data; free it like any other result). */
export function reshape(backend: WasmBackend, x: TensorInfo, shape: number[]): TensorInfo {
  return run(backend, 'Reshape', { x }, { shape });
}

export function transpose(backend: WasmBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return run(backend, 'Transpose', { x }, { perm });
}

/** A new float32 tensor on the wasm heap with undefined contents. */
export function alloc(backend: WasmBackend, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

export function free(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A live Float32Array view of a tensor's heap memory. Invalid after the next allocation. */
export function f32(backend: WasmBackend, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Input `name`, which the kernel requires. */
export function input(args: WasmKernelArgs<unknown>, name: string): TensorInfo {
  const info = args.inputs[name];
  if (!info) throw new Error(`missing input ${name}`);
  return info;
}

/**
 * A tensor registered at `offset` elements into `base`'s heap block, sharing its memory. Release
 * it with `releaseView`, never `free` (the memory belongs to `base`).
 */
export function view(backend: WasmBackend, base: TensorInfo, offset: number, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32', backend.getMemoryOffset(base.dataId) + offset * 4);
}

/** Unregisters a view without freeing the memory it points into. */
export function releaseView(backend: WasmBackend, v: TensorInfo): void {
  const data = backend.dataIdMap.get(v.dataId);
  if (!data) return;
  backend.dataIdMap.delete(v.dataId);
  backend.wasm.tfjs.disposeData(data.id);
}

/** The id the C++ side knows a tensor by. */
export function wasmId(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error('tensor is not on the wasm backend');
  return data.id;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
