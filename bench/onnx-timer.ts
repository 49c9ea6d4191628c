/**
 * Model-only ONNX Runtime inference throughput of a tfjs ShuffleNet, exported to ONNX in memory
 * by the app's own exporter: what evaluation and prediction run on where onnxruntime-node loads.
 */
import type * as tf from '@tensorflow/tfjs';
import { defaultPreprocessing } from '../src-main/engine/data/preprocess';
import { onnxModelFromLayersModel } from '../src-main/engine/export/onnx';
import { createOnnxSession, onnxRuntimeStatus, runOnnx } from '../src-main/engine/runtime/onnx-runtime';
import type { ModelConfig } from '../src-main/engine/types';

/**
 * Images/s of ONNX Runtime on `batch` random NCHW inputs (one warm-up run, then `iters` timed),
 * or null when onnxruntime-node does not load.
 * @param threads intra-op threads; default ONNX Runtime's choice (one per physical core)
 */
export async function timeOnnxInference(model: tf.LayersModel, config: ModelConfig, batch: number, iters: number, threads?: number): Promise<number | null> {
  if (!onnxRuntimeStatus().available) return null;
  const classes = Array.from({ length: config.numClasses }, (_, i) => `class${i}`);
  const bytes = onnxModelFromLayersModel(model, {
    model: config,
    preprocessing: defaultPreprocessing({ format: 'image-folder', inputSize: config.inputSize }),
    classes,
    epoch: 0,
  });
  const session = await createOnnxSession(bytes, { threads });
  try {
    const dims = [batch, 3, config.inputSize, config.inputSize];
    const input = Float32Array.from({ length: batch * 3 * config.inputSize * config.inputSize }, (_, i) => ((i * 7919) % 255) / 64 - 2);
    await runOnnx(session, input, dims);
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) await runOnnx(session, input, dims);
    return (batch * iters) / ((performance.now() - t0) / 1000);
  } finally {
    await session.release();
  }
}
