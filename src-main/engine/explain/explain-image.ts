/** "Why this prediction": one image file through a run's model, with its Grad-CAM heatmap. */
import { initBackend } from '../backend';
import { DecodeError, decodeImageFile } from '../data/preprocess';
import { assertFiniteLogits, UserError } from '../errors';
import { topKIndices } from '../metrics/metrics';
import type { Preprocessing } from '../types';
import { gradCam, type GradCamResult } from './grad-cam';
import { withCheckpointModel } from './model-cache';

const DEFAULT_TOP_K = 5;

export interface ClassProbability {
  classIndex: number;
  className: string;
  probability: number;
}

export interface Explanation extends GradCamResult {
  /** The explained class's name. */
  className: string;
  /** The `topK` most probable classes, most probable first. */
  top: ClassProbability[];
  /** The checkpoint folder whose model was used. */
  checkpoint: string;
  /**
   * How the image became the model's square input: the heatmap covers that square, i.e. the image
   * centre-cropped ('cover') or stretched ('fill') to `inputSize`, and an overlay must do the same.
   */
  preprocessing: Preprocessing;
}

/**
 * Explains the prediction for the image at `path` by the newest checkpoint of `run` (or the
 * checkpoint folder `run` names): the image is decoded and prepared with the checkpoint's
 * preprocessing, and the heatmap is Grad-CAM's for `classIndex` (default the most probable class).
 * The model stays cached for the next call (model-cache.ts).
 * @throws UserError for a wrong run path, a broken checkpoint, a file that is not a usable image
 *   (code 'image-unreadable', with the decoder's reason), a class index the model does not have, or
 *   a model whose outputs are not finite
 */
export async function explainImage(options: { run: string; path: string; classIndex?: number; topK?: number }): Promise<Explanation> {
  const topK = options.topK ?? DEFAULT_TOP_K;
  if (!Number.isInteger(topK) || topK < 1) throw new UserError(`topK must be a whole number of at least 1, got ${topK}`, 'bad-option');
  await initBackend();
  return withCheckpointModel(options.run, async ({ model, manifest, dir }) => {
    const prep = manifest.preprocessing;
    const pixels = await decodeImageFile(options.path, prep).catch((error: unknown) => {
      if (!(error instanceof DecodeError)) throw error;
      throw new UserError(`${options.path} cannot be explained: ${error.reason}`, 'image-unreadable');
    });
    const cam = await gradCam(model, pixels, prep, options.classIndex);
    assertFiniteLogits(Float32Array.from(cam.probabilities), dir);
    const top = topKIndices(cam.probabilities, topK).map((k) => ({ classIndex: k, className: manifest.classes[k], probability: cam.probabilities[k] }));
    return { ...cam, className: manifest.classes[cam.classIndex], top, checkpoint: dir, preprocessing: prep };
  });
}
