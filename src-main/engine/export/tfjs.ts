/**
 * Export of a trained checkpoint as a TensorFlow.js graph model folder that plain
 * `@tensorflow/tfjs` loads with `tf.loadGraphModel('model.json')`: no custom layer classes (the
 * app's layers model needs PointwiseConv, ChannelShuffle and BatchNorm2d registered, so
 * `tf.loadLayersModel` fails anywhere else). The graph is the checkpoint's ONNX graph, batch
 * norms folded, translated to standard TF ops (tfjs-graph.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { MODEL_JSON, WEIGHTS_BIN } from '../model/file-io';
import { readManifest, resolveCheckpointDir } from '../checkpoint/checkpoint';
import type { CheckpointManifest } from '../types';
import { readCheckpointWeights } from '../onnx/checkpoint-weights';
import { ONNX_PRODUCER, onnxMetadata } from './onnx';
import { buildOnnxGraph, OUTPUT_NAME } from '../onnx/onnx-graph';
import { EXAMPLE_HTML, exampleHtml } from './tfjs-example';
import { onnxGraphToTfjs, TFJS_INPUT_NAME } from './tfjs-graph';

export const PREPROCESSING_JSON = 'preprocessing.json';
export const TFJS_FORMAT = 'tfjs-graph-model';

/**
 * What a user of the export needs besides the graph: the input and its preprocessing, the
 * classes, the model settings. Written as preprocessing.json and as model.json's
 * `userDefinedMetadata` (a loaded model's `model.metadata`).
 */
export function tfjsMetadata(manifest: CheckpointManifest) {
  const prep = manifest.preprocessing;
  return {
    format: TFJS_FORMAT,
    load: "tf.loadGraphModel('model.json'); model.predict(x) returns the logits",
    input: { name: TFJS_INPUT_NAME, layout: 'NHWC', shape: [null, prep.inputSize, prep.inputSize, 3], dtype: 'float32' },
    normalisation: 'RGB in [0, 255] / 255, then (x - mean) / std per channel',
    resize: onnxMetadata(manifest).resize,
    output: { name: OUTPUT_NAME, shape: [null, manifest.classes.length], meaning: 'logits; apply softmax for probabilities' },
    ...prep,
    classes: manifest.classes,
    model: manifest.model,
    epoch: manifest.epoch,
  };
}

/**
 * Writes the graph model of a checkpoint to `outDir` (created when missing; files of the same
 * names are replaced): `weights.bin`, `preprocessing.json`, `example.html` and `model.json` (last,
 * so a folder with model.json always has its weights beside it).
 * @param runOrCheckpointDir a run folder (its newest checkpoint) or a checkpoint folder
 * @returns the checkpoint used and the files written
 * @throws UserError for a wrong path, a broken checkpoint or an unwritable destination
 */
export async function exportTfjs(runOrCheckpointDir: string, outDir: string): Promise<{ checkpoint: string; dir: string; files: string[] }> {
  const checkpoint = await resolveCheckpointDir(runOrCheckpointDir);
  const manifest = await readManifest(checkpoint);
  const graph = onnxGraphToTfjs(buildOnnxGraph(manifest.model, await readCheckpointWeights(checkpoint)));
  const dir = path.resolve(outDir);
  const info = await fs.stat(dir).catch(() => null);
  if (info && !info.isDirectory()) throw new UserError(`${dir} is a file: the TensorFlow.js export needs a folder`, 'export-failed');
  const metadata = tfjsMetadata(manifest);
  const { scale, groups, stem } = manifest.model;
  const modelJson = {
    format: 'graph-model',
    generatedBy: ONNX_PRODUCER,
    convertedBy: `${ONNX_PRODUCER} (ShuffleNetV1 ${scale}x, groups ${groups}, ${stem} stem, batch norms folded)`,
    modelTopology: graph.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: graph.weightSpecs }],
    userDefinedMetadata: metadata,
  };
  const contents: [string, string | Uint8Array][] = [
    [WEIGHTS_BIN, graph.weightData],
    [PREPROCESSING_JSON, `${JSON.stringify(metadata, null, 2)}\n`],
    [EXAMPLE_HTML, exampleHtml(`ShuffleNetV1 ${scale}x, ${manifest.classes.length} classes`)],
    [MODEL_JSON, JSON.stringify(modelJson)],
  ];
  const files: string[] = [];
  try {
    await fs.mkdir(dir, { recursive: true });
    for (const [name, data] of contents) {
      await fs.writeFile(path.join(dir, name), data);
      files.push(path.join(dir, name));
    }
  } catch (error) {
    throw new UserError(`Cannot write the TensorFlow.js export to ${dir}: ${(error as Error).message}`, 'export-failed');
  }
  return { checkpoint, dir, files };
}
