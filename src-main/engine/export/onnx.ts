/**
 * Export of a trained checkpoint to ONNX (opset 13), written from the model definition and the
 * checkpoint's weights by the project's own protobuf encoder (no Python, no converter).
 *
 * The model takes `input` float32 `[batch, 3, inputSize, inputSize]` (NCHW) of normalised pixels:
 * RGB scaled to [0, 1], then `(x - mean) / std` per channel, after resizing to `inputSize`. It
 * returns `logits` `[batch, numClasses]`. The preprocessing and the class names are recorded in
 * the model's metadata_props so the file stands on its own.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { readManifest, resolveCheckpointDir } from '../checkpoint/checkpoint';
import type { CheckpointManifest, CheckpointModelInfo } from '../types';
import { modelWeights, readCheckpointWeights, type CheckpointWeights } from '../onnx/checkpoint-weights';
import { buildOnnxGraph, INPUT_NAME, OUTPUT_NAME, type OnnxGraphOptions } from '../onnx/onnx-graph';
import { encodeOnnxModel, OPSET_VERSION } from '../onnx/onnx-proto';

export const ONNX_PRODUCER = 'ShuffleNet Studio';

/** metadata_props of an exported model: plain strings, JSON for arrays and objects. */
export function onnxMetadata(manifest: CheckpointModelInfo): Record<string, string> {
  const prep = manifest.preprocessing;
  return {
    input_name: INPUT_NAME,
    input_layout: 'NCHW',
    input_size: String(prep.inputSize),
    pixel_scale: String(1 / 255),
    mean: JSON.stringify(prep.mean),
    std: JSON.stringify(prep.std),
    resize: `${prep.fit === 'cover' ? 'center-crop' : 'stretch'} to ${prep.storeSize}x${prep.storeSize}, then bilinear to ${prep.inputSize}x${prep.inputSize}`,
    output_name: OUTPUT_NAME,
    classes: JSON.stringify(manifest.classes),
    model_config: JSON.stringify(manifest.model),
    preprocessing: JSON.stringify(prep),
    epoch: String(manifest.epoch),
  };
}

function encodeShuffleNet(manifest: CheckpointModelInfo, weights: CheckpointWeights, options: OnnxGraphOptions): Uint8Array {
  const graph = buildOnnxGraph(manifest.model, weights, options);
  const { scale, groups, stem, inputSize } = manifest.model;
  return encodeOnnxModel({
    producerName: ONNX_PRODUCER,
    producerVersion: '1',
    docString:
      `ShuffleNetV1 ${scale}x, groups ${groups}, ${stem} stem, ${inputSize}x${inputSize}, ${manifest.classes.length} classes. ` +
      `Input "${INPUT_NAME}": float32 [batch, 3, ${inputSize}, ${inputSize}] NCHW, RGB / 255 then (x - mean) / std ` +
      `(mean ${JSON.stringify(manifest.preprocessing.mean)}, std ${JSON.stringify(manifest.preprocessing.std)}). ` +
      `Output "${OUTPUT_NAME}": [batch, ${manifest.classes.length}] logits.`,
    graphName: `shufflenet_v1_g${groups}_${scale}x_${stem}`,
    ...graph,
    metadata: onnxMetadata(manifest),
  });
}

/**
 * The bytes of the ONNX model of a checkpoint, and the manifest it came from.
 * @param runOrCheckpointDir a run folder (its newest checkpoint) or a checkpoint folder
 * @param options `nchwcBlock` tunes the graph for ONNX Runtime on this machine (in-memory use only)
 * @throws UserError for a wrong path or weights that do not match the manifest's model settings
 */
export async function onnxModelBytes(
  runOrCheckpointDir: string,
  options: OnnxGraphOptions = {},
): Promise<{ bytes: Uint8Array; manifest: CheckpointManifest; dir: string }> {
  const dir = await resolveCheckpointDir(runOrCheckpointDir);
  const manifest = await readManifest(dir);
  return { bytes: encodeShuffleNet(manifest, await readCheckpointWeights(dir), options), manifest, dir };
}

/**
 * The bytes of the ONNX model of a ShuffleNet in memory (built by buildShuffleNetV1 with
 * `info.model`), e.g. for benchmarks or exporting without a checkpoint on disk.
 * @throws UserError when the model's weights do not match `info.model`
 */
export function onnxModelFromLayersModel(model: tf.LayersModel, info: CheckpointModelInfo, options: OnnxGraphOptions = {}): Uint8Array {
  return encodeShuffleNet(info, modelWeights(model), options);
}

/**
 * Writes the ONNX model (opset 13) of a checkpoint to `outFile` (folders created; written under a
 * temporary name and renamed, so a failed export leaves no half file).
 * @returns the checkpoint folder used, the file written and its size in bytes
 * @throws UserError for a wrong path, a bad checkpoint or an unwritable destination
 */
export async function exportOnnx(runOrCheckpointDir: string, outFile: string): Promise<{ checkpoint: string; file: string; bytes: number; opset: number }> {
  const { bytes, dir } = await onnxModelBytes(runOrCheckpointDir);
  const file = path.resolve(outFile);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw new UserError(`Cannot write ${file}: ${(error as Error).message}`, 'export-failed');
  }
  return { checkpoint: dir, file, bytes: bytes.byteLength, opset: OPSET_VERSION };
}
