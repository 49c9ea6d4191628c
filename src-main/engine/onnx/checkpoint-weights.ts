/**
 * Reads a checkpoint's weights straight from `model.json` + its weight files, without building a
 * tfjs model: the ONNX export and the ONNX Runtime path need only the numbers and a few layer
 * settings.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { MODEL_JSON } from '../model/file-io';

export interface NamedWeight {
  shape: number[];
  data: Float32Array;
}

export interface CheckpointWeights {
  /** Weights by their saved name, `<layer>/<weight>` (e.g. `stage2.unit1.pw1/kernel`). */
  weights: Map<string, NamedWeight>;
  /** Each layer's saved config by layer name (e.g. a BatchNorm2d's `epsilon`). */
  layerConfigs: Map<string, Record<string, unknown>>;
}

interface WeightsManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
}

interface SavedModelJson {
  modelTopology?: { config?: { layers?: { name: string; config?: Record<string, unknown> }[] } };
  weightsManifest?: WeightsManifestGroup[];
}

async function readModelJson(file: string): Promise<SavedModelJson> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new UserError(`No saved model: ${file} is missing`, 'model-not-found');
  }
  try {
    return JSON.parse(text) as SavedModelJson;
  } catch {
    throw new UserError(`${file} is not valid JSON`, 'model-corrupt');
  }
}

/**
 * Loads every weight of the tfjs layers model saved in `dir` as float32 arrays.
 * @throws UserError when the files are missing, truncated or hold non-float32 weights.
 */
export async function readCheckpointWeights(dir: string): Promise<CheckpointWeights> {
  const jsonPath = path.join(dir, MODEL_JSON);
  const json = await readModelJson(jsonPath);
  const groups = json.weightsManifest;
  const layers = json.modelTopology?.config?.layers;
  if (!Array.isArray(groups) || !Array.isArray(layers)) {
    throw new UserError(`${jsonPath} is not a tfjs layers model (no weightsManifest or layers)`, 'model-corrupt');
  }
  const weights = new Map<string, NamedWeight>();
  for (const group of groups) {
    const parts: Buffer[] = [];
    for (const p of group.paths) {
      const file = path.join(dir, p);
      parts.push(
        await fs.readFile(file).catch(() => {
          throw new UserError(`Missing weights file ${file} listed in ${jsonPath}`, 'model-corrupt');
        }),
      );
    }
    const bytes = Buffer.concat(parts);
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32' || spec.quantization) {
        throw new UserError(
          `${jsonPath}: weight ${spec.name} is ${spec.dtype}${spec.quantization ? ' (quantized)' : ''}; only float32 weights can be exported`,
          'model-corrupt',
        );
      }
      const count = spec.shape.reduce((a, b) => a * b, 1);
      if (offset + count * 4 > bytes.byteLength) {
        throw new UserError(`Weights in ${dir} end at ${bytes.byteLength} bytes, before ${spec.name}`, 'model-corrupt');
      }
      // Copy: a Buffer's offset need not be 4-byte aligned for a Float32Array view.
      const data = new Float32Array(count);
      new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + count * 4));
      weights.set(spec.name, { shape: spec.shape, data });
      offset += count * 4;
    }
    if (offset !== bytes.byteLength) {
      throw new UserError(`Weights in ${dir} are ${bytes.byteLength} bytes, ${MODEL_JSON} expects ${offset}`, 'model-corrupt');
    }
  }
  const layerConfigs = new Map(layers.map((l) => [l.name, l.config ?? {}]));
  return { weights, layerConfigs };
}

/**
 * The same record for a model in memory (e.g. one just built or trained), read from its variables.
 * Reads every weight synchronously; leaves no tensors behind.
 */
export function modelWeights(model: tf.LayersModel): CheckpointWeights {
  const weights = new Map<string, NamedWeight>();
  for (const w of model.weights) {
    const value = w.read();
    weights.set(w.originalName, { shape: [...value.shape], data: Float32Array.from(value.dataSync() as Float32Array) });
  }
  const layerConfigs = new Map(model.layers.map((l) => [l.name, l.getConfig() as Record<string, unknown>]));
  return { weights, layerConfigs };
}
