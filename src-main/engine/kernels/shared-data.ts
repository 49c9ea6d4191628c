/**
 * Identity and same-dtype Cast for the wasm backend without copying.
 *
 * tfjs-core keeps every tensor a gradient needs by cloning it (Engine.saveTensorsForBackwardMode
 * runs the Identity kernel), and Cast's gradient clones dy. tfjs-backend-wasm 4.22 implements
 * Identity and Cast as full copies, so a training step copied every saved activation once more:
 * for ShuffleNetV1 2.0x at 32x32 that is about 27 M floats (108 MB) per image, both in time and in
 * peak heap. Tensor data is immutable in tfjs, so like the cpu and webgl backends these kernels
 * now hand out another reference to the same heap block (the backend's reference count frees it
 * when the last user disposes it).
 */
import * as tf from '@tensorflow/tfjs';
import { free, input, run, type TensorInfo, type WasmKernelArgs } from './wasm-context';

function share(args: WasmKernelArgs<unknown>): TensorInfo {
  const x = input(args, 'x');
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Identity: x shared, not copied. */
export function identity(args: WasmKernelArgs<unknown>): TensorInfo {
  if (input(args, 'x').dtype === 'string') return run(args.backend, tf.Identity, { x: input(args, 'x') });
  return share(args);
}

/**
 * Cast: shared when the dtype does not change. To bool it is x != 0 (the original kernel truncates
 * the bytes, so 0.5 became false and -3 became 253). Other conversions use the original kernel.
 */
export function cast(args: WasmKernelArgs<{ dtype: tf.DataType }>): TensorInfo {
  const { backend } = args;
  const x = input(args, 'x');
  if (x.dtype === args.attrs.dtype && x.dtype !== 'string') return share(args);
  if (args.attrs.dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
    const zero = backend.makeOutput([], x.dtype);
    backend.typedArrayFromHeap(zero).fill(0);
    const out = run(backend, tf.NotEqual, { a: x, b: zero });
    free(backend, zero);
    return out;
  }
  return run(backend, tf.Cast, { x }, args.attrs);
}
