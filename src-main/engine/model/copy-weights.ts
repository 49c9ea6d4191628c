/** Starting a model from another's weights: layer by layer, by name, so any run or the shipped model can seed a new one. */
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';

/** The dense layer that maps pooled features to class logits (model/shufflenet.ts). */
export const HEAD_LAYER = 'classifier';

export interface CopyReport {
  /** Layers whose weights came from the source. */
  copied: number;
  /** Layers that kept their fresh initialisation (the head, when the classes differ). */
  fresh: string[];
}

/**
 * Copies every layer's weights (batch-norm moving statistics included) from `source` into `target`
 * by layer name. The head is copied only with `keepHead` (same classes in the same order); otherwise
 * it keeps the target's fresh initialisation.
 * @throws UserError when a layer is missing or a shape differs: the two are not the same architecture
 */
export function copyWeightsByName(source: tf.LayersModel, target: tf.LayersModel, options: { keepHead: boolean }): CopyReport {
  const fresh: string[] = [];
  let copied = 0;
  for (const layer of target.layers) {
    const own = layer.getWeights();
    if (own.length === 0) continue;
    if (layer.name === HEAD_LAYER && !options.keepHead) {
      fresh.push(layer.name);
      continue;
    }
    const from = source.layers.find((l) => l.name === layer.name);
    const theirs = from?.getWeights() ?? [];
    const same = theirs.length === own.length && theirs.every((w, i) => w.shape.join('x') === own[i].shape.join('x'));
    if (!same) {
      throw new UserError(
        `cannot start from that model: its layer ${layer.name} ${from ? `has weights [${theirs.map((w) => w.shape.join('x')).join(', ')}]` : 'is missing'} where this model needs [${own.map((w) => w.shape.join('x')).join(', ')}]`,
        'bad-option',
      );
    }
    layer.setWeights(theirs);
    copied++;
  }
  return { copied, fresh };
}
