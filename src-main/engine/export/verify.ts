/** Checks an ONNX export against the tfjs model it came from, on the same random inputs. */
import * as tf from '@tensorflow/tfjs';
import { createOnnxSession, runOnnx } from '../onnx/onnx-runtime';
import { loadCheckpoint } from '../checkpoint/checkpoint';

export interface ExportCheck {
  /** Images compared. */
  count: number;
  /** max |onnx - tfjs| over all logits. */
  maxAbsError: number;
  /** maxAbsError / max |tfjs logit|. */
  relativeError: number;
  /** Fraction of images whose top class is the same on both. */
  top1Agreement: number;
}

/**
 * How far `actual` logits are from `expected` ones, both row-major `[count, classes]`.
 * Shared by the ONNX and the TensorFlow.js graph export checks.
 */
export function compareLogits(expected: ArrayLike<number>, actual: ArrayLike<number>, count: number, classes: number): Omit<ExportCheck, 'count'> {
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  const argmax = (a: ArrayLike<number>, row: number) => {
    let best = 0;
    for (let k = 1; k < classes; k++) if (a[row * classes + k] > a[row * classes + best]) best = k;
    return best;
  };
  let agree = 0;
  for (let r = 0; r < count; r++) if (argmax(actual, r) === argmax(expected, r)) agree += 1;
  return { maxAbsError: maxAbs, relativeError: maxRef > 0 ? maxAbs / maxRef : maxAbs, top1Agreement: agree / count };
}

/**
 * Runs `count` standard-normal inputs (seeded) through the checkpoint's tfjs model (NHWC) and the
 * ONNX model (the same values transposed to NCHW) and compares the logits.
 * @param onnxModel an `.onnx` file path or its bytes
 * @throws Error when onnxruntime-node is not available
 */
export async function compareOnnxWithTfjs(run: string, onnxModel: string | Uint8Array, options: { count?: number; seed?: number } = {}): Promise<ExportCheck> {
  const count = options.count ?? 8;
  const { model, manifest } = await loadCheckpoint(run);
  const s = manifest.model.inputSize;
  const session = await createOnnxSession(onnxModel);
  try {
    const [logits, nchwInput] = tf.tidy(() => {
      const x = tf.randomNormal([count, s, s, 3], 0, 1, 'float32', options.seed ?? 1);
      return [model.predict(x) as tf.Tensor, x.transpose([0, 3, 1, 2])];
    });
    const [expected, nchw] = await Promise.all([logits.data(), nchwInput.data()]);
    tf.dispose([logits, nchwInput]);
    const actual = await runOnnx(session, nchw as Float32Array, [count, 3, s, s]);
    return { count, ...compareLogits(expected, actual, count, manifest.classes.length) };
  } finally {
    model.dispose();
    await session.release();
  }
}
