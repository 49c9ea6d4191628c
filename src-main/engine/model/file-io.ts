/**
 * Saving and loading a tfjs LayersModel as `model.json` + `weights.bin` in a folder with node fs:
 * the pure-JS tfjs package has no `file://` handler (that lives in tfjs-node, which may not load).
 * The files are the standard tfjs layers format, so `tf.loadLayersModel` over http reads them too.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileDurable } from '../durable-file';
import { UserError } from '../errors';
import './layers';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** The files of a saved model, by name: `model.json` and `weights.bin`, in the order they are written. */
export type ModelFiles = Map<string, Uint8Array>;

function captureHandler(onFiles: (files: ModelFiles) => void): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('serializeModel: binary model topology is not supported');
      }
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      // Weights first: a model.json on disk always has its weights beside it.
      onFiles(
        new Map([
          [WEIGHTS_BIN, new Uint8Array(weightData)],
          [MODEL_JSON, new TextEncoder().encode(JSON.stringify(modelJson))],
        ]),
      );
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Byte size the specs describe, or null when it cannot be known up front (quantized or string weights). */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const s of specs) {
    const bytes = DTYPE_BYTES[s.dtype];
    if (s.quantization || bytes === undefined) return null;
    total += s.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = path.join(dir, MODEL_JSON);
      let text: string;
      try {
        text = await fs.readFile(jsonPath, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new UserError(`No saved model in ${dir}: ${MODEL_JSON} is missing`, 'model-not-found');
        }
        throw err;
      }
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text) as tf.io.ModelJSON;
      } catch {
        throw new UserError(`${jsonPath} is not valid JSON`, 'model-corrupt');
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const file = path.join(dir, p);
            const bytes = await fs.readFile(file).catch(() => {
              throw new UserError(`Missing weights file ${file} listed in ${jsonPath}`, 'model-corrupt');
            });
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        const specs = tf.io.getWeightSpecs(manifest);
        const data = tf.io.CompositeArrayBuffer.join(buffers);
        const expected = expectedBytes(specs);
        if (expected !== null && data.byteLength !== expected) {
          throw new UserError(`Weights in ${dir} are ${data.byteLength} bytes, ${MODEL_JSON} expects ${expected}`, 'model-corrupt');
        }
        return [specs, data];
      });
    },
  };
}

/**
 * The bytes of `model.json` and `weights.bin` for `model`, held in memory, so a caller knows their
 * size and checksum before anything reaches the disk (a checkpoint records the checksum, and
 * names the size when the disk has no room for it).
 */
export async function serializeModel(model: tf.LayersModel, config?: tf.io.SaveConfig): Promise<ModelFiles> {
  let files: ModelFiles = new Map();
  await model.save(
    captureHandler((f) => {
      files = f;
    }),
    config,
  );
  return files;
}

/**
 * Writes `model.json` and `weights.bin` for `model` into `dir` (created if needed; existing files
 * are overwritten, so write to a fresh temporary folder and rename it for an atomic checkpoint).
 * Each file is flushed to the disk (fsync) before this returns.
 */
export async function saveModelToDir(model: tf.LayersModel, dir: string, config?: tf.io.SaveConfig): Promise<void> {
  const files = await serializeModel(model, config);
  await fs.mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await writeFileDurable(path.join(dir, name), bytes);
}

/**
 * Loads a model saved by `saveModelToDir` (or any tfjs layers model folder with `model.json`).
 * The ShuffleNet custom layers are registered by this module's import of `./layers`.
 * Throws `UserError` when the folder holds no model or its files do not match.
 */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}
