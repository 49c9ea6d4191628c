/**
 * Saving and loading a tfjs LayersModel as `model.json` + `weights.bin` in a folder with node fs:
 * the pure-JS tfjs package has no `file://` handler (that lives in tfjs-node, which may not load).
 * The files are the standard tfjs layers format, so `tf.loadLayersModel` over http reads them too.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import './layers';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('saveModelToDir: binary model topology is not supported');
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
      await fs.mkdir(dir, { recursive: true });
      // Weights first: a model.json on disk always has its weights beside it.
      await fs.writeFile(path.join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
      await fs.writeFile(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
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
          throw new UserError(
            `Weights in ${dir} are ${data.byteLength} bytes, ${MODEL_JSON} expects ${expected}`,
            'model-corrupt',
          );
        }
        return [specs, data];
      });
    },
  };
}

/**
 * Writes `model.json` and `weights.bin` for `model` into `dir` (created if needed; existing files
 * are overwritten, so write to a fresh temporary folder and rename it for an atomic checkpoint).
 */
export async function saveModelToDir(model: tf.LayersModel, dir: string, config?: tf.io.SaveConfig): Promise<tf.io.SaveResult> {
  return model.save(fileSaveHandler(dir), config);
}

/**
 * Loads a model saved by `saveModelToDir` (or any tfjs layers model folder with `model.json`).
 * The ShuffleNet custom layers are registered by this module's import of `./layers`.
 * Throws `UserError` when the folder holds no model or its files do not match.
 */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}
