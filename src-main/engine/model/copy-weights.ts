/** Starting a model from another's weights: layer by layer, by name, so any run or the shipped model can seed a new one. */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { knownClassIndices } from './known-classes';

/** The dense layer that maps pooled features to class logits (model/shufflenet.ts). */
export const HEAD_LAYER = 'classifier';

export interface CopyReport {
  /** Layers whose weights came from the source. */
  copied: number;
  /** Layers that kept their fresh initialisation. */
  fresh: string[];
  /** The target's classes whose head row came from the source's class of that name (model/known-classes.ts). */
  knownClasses: string[];
}

function sameShapes(a: tf.Tensor[], b: tf.Tensor[]): boolean {
  return a.length === b.length && a.every((w, i) => w.shape.join('x') === b[i].shape.join('x'));
}

/**
 * Copies every layer's weights (batch-norm moving statistics included) from `source` into `target`
 * by layer name. The head (HEAD_LAYER) is copied class by class: a target class the source knows
 * by name takes that class's kernel column and bias, the others keep the target's fresh
 * initialisation. So the same classes keep the whole head, in any order.
 * @throws UserError when a layer is missing or a shape differs: the two are not the same architecture
 */
export function copyWeightsByName(
  source: tf.LayersModel,
  target: tf.LayersModel,
  classes: { source: readonly string[]; target: readonly string[] },
): CopyReport {
  const fresh: string[] = [];
  let copied = 0;
  let knownClasses: string[] = [];
  for (const layer of target.layers) {
    const own = layer.getWeights();
    if (own.length === 0) continue;
    const from = source.layers.find((l) => l.name === layer.name);
    const theirs = from?.getWeights() ?? [];
    if (layer.name === HEAD_LAYER) {
      knownClasses = copyHeadRows(theirs, own, layer, classes);
      if (knownClasses.length === 0) fresh.push(layer.name);
      else copied++;
      continue;
    }
    if (!sameShapes(theirs, own)) {
      throw new UserError(
        `cannot start from that model: its layer ${layer.name} ${from ? `has weights [${theirs.map((w) => w.shape.join('x')).join(', ')}]` : 'is missing'} where this model needs [${own.map((w) => w.shape.join('x')).join(', ')}]`,
        'bad-option',
      );
    }
    layer.setWeights(theirs);
    copied++;
  }
  return { copied, fresh, knownClasses };
}

/** Sets the head's kernel columns and biases of the known classes from the source's; returns their names. */
function copyHeadRows(
  theirs: tf.Tensor[],
  own: tf.Tensor[],
  layer: tf.layers.Layer,
  classes: { source: readonly string[]; target: readonly string[] },
): string[] {
  const [ownKernel, ownBias] = own;
  const [theirKernel, theirBias] = theirs;
  // A source head of another width (another scale) cannot lend its rows; the layers before it say so.
  if (!theirKernel || !theirBias || theirKernel.shape[0] !== ownKernel.shape[0]) return [];
  const indices = knownClassIndices(classes.target, classes.source);
  if (indices.every((i) => i === null)) return [];
  const [width, count] = ownKernel.shape as [number, number];
  const sourceCount = theirKernel.shape[1] as number;
  const kernel = ownKernel.dataSync().slice();
  const bias = ownBias.dataSync().slice();
  const sourceKernel = theirKernel.dataSync();
  const sourceBias = theirBias.dataSync();
  indices.forEach((s, k) => {
    if (s === null) return;
    for (let j = 0; j < width; j++) kernel[j * count + k] = sourceKernel[j * sourceCount + s];
    bias[k] = sourceBias[s];
  });
  // The variables keep their own copy, so the new tensors go with the tidy.
  tf.tidy(() => layer.setWeights([tf.tensor2d(kernel, [width, count]), tf.tensor1d(bias)]));
  return indices.flatMap((s, k) => (s === null ? [] : [classes.target[k]]));
}
