/**
 * Export of a trained checkpoint as a TensorFlow.js layers model folder: the checkpoint's own
 * `model.json` and weight files, plus `preprocessing.json` saying how to prepare images.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { MODEL_JSON } from '../model/file-io';
import { readManifest, resolveCheckpointDir } from '../train/checkpoint';

export const PREPROCESSING_JSON = 'preprocessing.json';

/** Layer classes in the model that tfjs does not ship; a loader must register them first (model/layers.ts). */
export const CUSTOM_LAYERS = ['GroupedConv1x1', 'ChannelShuffle', 'BatchNorm2d'] as const;

/**
 * Copies the model of a checkpoint to `outDir` (created when missing; files of the same names are
 * replaced): `model.json`, its weight files, and `preprocessing.json` with the preprocessing
 * (input `[batch, inputSize, inputSize, 3]` NHWC, RGB / 255 then (x - mean) / std), the class
 * names, the model settings and the custom layer classes the model uses.
 * @param runOrCheckpointDir a run folder (its newest checkpoint) or a checkpoint folder
 * @returns the checkpoint used and the files written
 * @throws UserError for a wrong path, a broken checkpoint or an unwritable destination
 */
export async function exportTfjs(runOrCheckpointDir: string, outDir: string): Promise<{ checkpoint: string; dir: string; files: string[] }> {
  const checkpoint = await resolveCheckpointDir(runOrCheckpointDir);
  const manifest = await readManifest(checkpoint);
  const jsonPath = path.join(checkpoint, MODEL_JSON);
  let modelJson: { weightsManifest?: { paths: string[] }[] };
  try {
    modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
  } catch {
    throw new UserError(`${jsonPath} is missing or not valid JSON`, 'model-corrupt');
  }
  const weightFiles = (modelJson.weightsManifest ?? []).flatMap((g) => g.paths);
  for (const name of weightFiles) {
    if (!(await fs.stat(path.join(checkpoint, name)).catch(() => null))) {
      throw new UserError(`Missing weights file ${path.join(checkpoint, name)} listed in ${jsonPath}`, 'model-corrupt');
    }
  }
  const dir = path.resolve(outDir);
  const info = await fs.stat(dir).catch(() => null);
  if (info && !info.isDirectory()) throw new UserError(`${dir} is a file: the TensorFlow.js export needs a folder`, 'export-failed');
  const preprocessing = {
    format: 'tfjs-layers-model',
    input: { name: 'image', layout: 'NHWC', shape: [null, manifest.preprocessing.inputSize, manifest.preprocessing.inputSize, 3], dtype: 'float32' },
    normalisation: 'RGB / 255, then (x - mean) / std per channel',
    output: 'logits [batch, classes]; apply softmax for probabilities',
    ...manifest.preprocessing,
    classes: manifest.classes,
    model: manifest.model,
    customLayers: CUSTOM_LAYERS,
    epoch: manifest.epoch,
  };
  const files: string[] = [];
  try {
    await fs.mkdir(dir, { recursive: true });
    for (const name of weightFiles) {
      const target = path.join(dir, name);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.copyFile(path.join(checkpoint, name), target);
      files.push(target);
    }
    // model.json last: a folder with model.json always has its weights beside it.
    await fs.writeFile(path.join(dir, PREPROCESSING_JSON), `${JSON.stringify(preprocessing, null, 2)}\n`);
    files.push(path.join(dir, PREPROCESSING_JSON));
    await fs.copyFile(jsonPath, path.join(dir, MODEL_JSON));
    files.push(path.join(dir, MODEL_JSON));
  } catch (error) {
    throw new UserError(`Cannot write the TensorFlow.js export to ${dir}: ${(error as Error).message}`, 'export-failed');
  }
  return { checkpoint, dir, files };
}
