/**
 * Grad-CAM (Selvaraju et al. 2017): where in an image the model found the evidence for a class.
 * The class score (the logit, before softmax) is differentiated with respect to the last stage's
 * feature map, the tensor that feeds the global average pool; each channel is weighted by the
 * spatial mean of its gradient, and the ReLU of the weighted sum is the heatmap.
 *
 * For this architecture the head is pool + dense, so the gradient is the class's dense weights over
 * the map's area at every cell and Grad-CAM equals CAM (Zhou et al. 2016). It is still computed by
 * differentiation, so a different head (more layers after the pool) keeps giving the right map.
 */
import * as tf from '@tensorflow/tfjs';
import { toModelInput } from '../data/preprocess';
import { UserError } from '../errors';
import { softmaxRow } from '../metrics/metrics';
import { HEAD_LAYER } from '../model/copy-weights';
import { FEATURE_LAYER } from '../transfer/features';
import type { Preprocessing } from '../types';

export interface GradCamResult {
  /** The class explained: the one asked for, else the most probable. */
  classIndex: number;
  /** Its softmax probability. */
  probability: number;
  /** Softmax probabilities of every class, in the model's class order. */
  probabilities: number[];
  /** Cells of the feature map across and down (inputSize / 8 for the cifar stem, / 32 for imagenet). */
  width: number;
  height: number;
  /**
   * Row-major `[height, width]`, 0..1: ReLU of the weighted map divided by its largest cell (0
   * everywhere when no cell speaks for the class). The map covers the model's square input, i.e.
   * the image as `prep.fit` cropped or stretched it.
   */
  values: number[];
}

/** The part of a model up to the feature map that feeds the pool; built once per model. */
const mapModels = new WeakMap<tf.LayersModel, tf.LayersModel>();

function featureMapModel(model: tf.LayersModel): tf.LayersModel {
  let cut = mapModels.get(model);
  if (!cut) {
    cut = tf.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER).input as tf.SymbolicTensor });
    mapModels.set(model, cut);
  }
  return cut;
}

/** The layers after the feature map, as a function of it: logits `[1, classes]`. */
function headOf(model: tf.LayersModel): (map: tf.Tensor4D) => tf.Tensor2D {
  const pool = model.getLayer(FEATURE_LAYER);
  const dense = model.getLayer(HEAD_LAYER);
  return (map) => dense.apply(pool.apply(map)) as tf.Tensor2D;
}

/** Scales non-negative values to 0..1 by their largest; all zeros stay zeros. */
function toUnitRange(values: Float32Array): number[] {
  let max = 0;
  for (const v of values) max = Math.max(max, v);
  return Array.from(values, (v) => (max > 0 ? v / max : 0));
}

/**
 * The Grad-CAM heatmap of one image, in inference mode (batch norm on its moving statistics).
 * Leaves no tensors behind.
 * @param pixels RGB uint8 `[prep.storeSize, prep.storeSize, 3]`, row-major, as decodeImageFile returns
 * @param classIndex the class to explain; default the most probable
 * @throws UserError for pixels of the wrong size or a class index the model does not have
 */
export async function gradCam(model: tf.LayersModel, pixels: Uint8Array, prep: Preprocessing, classIndex?: number): Promise<GradCamResult> {
  const s = prep.storeSize;
  if (pixels.length !== s * s * 3) {
    throw new UserError(`gradCam needs ${s}x${s} RGB pixels (${s * s * 3} bytes), got ${pixels.length} bytes`, 'bad-option');
  }
  const head = headOf(model);
  const [map, logits] = tf.tidy(() => {
    const raw = tf.tensor4d(Float32Array.from(pixels), [1, s, s, 3], 'float32');
    const fm = featureMapModel(model).predict(toModelInput(raw, prep)) as tf.Tensor4D;
    return [fm, head(fm)];
  });
  try {
    const probabilities = softmaxRow(await logits.data());
    const classes = probabilities.length;
    const c = classIndex ?? probabilities.indexOf(Math.max(...probabilities));
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new UserError(`classIndex must be a whole number from 0 to ${classes - 1}, got ${c}`, 'bad-option');
    }
    const [, height, width, channels] = map.shape;
    const cam = tf.tidy(() => {
      const score = (fm: tf.Tensor) =>
        head(fm as tf.Tensor4D)
          .slice([0, c], [1, 1])
          .sum();
      const grads = tf.grad(score)(map);
      const weights = grads.mean([1, 2]).reshape([1, 1, 1, channels]);
      return tf.relu(map.mul(weights).sum(-1));
    });
    const values = await cam.data().finally(() => cam.dispose());
    return { classIndex: c, probability: probabilities[c], probabilities, width, height, values: toUnitRange(values as Float32Array) };
  } finally {
    map.dispose();
    logits.dispose();
  }
}
