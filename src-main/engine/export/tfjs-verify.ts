/**
 * Checks a TensorFlow.js graph-model export against the app's own model: the export folder is
 * loaded with tfjs-converter's `tf.loadGraphModel` (no custom layers registered by it) and both
 * run the same seeded random inputs.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { MODEL_JSON } from '../model/file-io';
import { loadCheckpoint } from '../checkpoint/checkpoint';
import { compareLogits, type ExportCheck } from './verify';

/**
 * Loads a graph model folder from disk with `tf.loadGraphModel`, reading `model.json` and its
 * weight files as a browser would fetch them (the pure-JS tfjs has no file:// loader).
 * @throws UserError when model.json or a weights file is missing or unreadable
 */
export async function loadGraphModelFromDir(dir: string): Promise<tf.GraphModel> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
  } catch (error) {
    throw new UserError(`Cannot read ${jsonPath}: ${(error as Error).message}`, 'model-corrupt');
  }
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const parts = await Promise.all(manifest.flatMap((group) => group.paths).map((p) => fs.readFile(path.join(dir, p))));
        const bytes = Buffer.concat(parts);
        return [specs, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
      }),
  };
  return tf.loadGraphModel(handler);
}

/**
 * Runs `count` standard-normal inputs (seeded) through the checkpoint's model and the graph model
 * exported to `exportDir`, and compares the logits.
 */
export async function compareTfjsExportWithCheckpoint(run: string, exportDir: string, options: { count?: number; seed?: number } = {}): Promise<ExportCheck> {
  const count = options.count ?? 8;
  const { model, manifest } = await loadCheckpoint(run);
  const graph = await loadGraphModelFromDir(exportDir);
  try {
    const s = manifest.model.inputSize;
    const [expected, actual] = tf.tidy(() => {
      const x = tf.randomNormal([count, s, s, 3], 0, 1, 'float32', options.seed ?? 1);
      return [model.predict(x) as tf.Tensor, graph.predict(x) as tf.Tensor];
    });
    const [e, a] = await Promise.all([expected.data(), actual.data()]);
    tf.dispose([expected, actual]);
    return { count, ...compareLogits(e, a, count, manifest.classes.length) };
  } finally {
    model.dispose();
    graph.dispose();
  }
}
