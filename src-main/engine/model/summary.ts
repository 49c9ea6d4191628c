import type { ModelConfig } from '../types';
import { allLayers, describeShuffleNet, weightsOf } from './plan';

export interface ModelSummary {
  /** Weights the optimizer updates (conv kernels, batch-norm scale/offset, dense kernel and bias). */
  trainableParams: number;
  /** trainableParams plus the batch-norm moving mean and variance. */
  totalParams: number;
  /** Multiply-adds for one image of `inputSize` x `inputSize`: convolutions, depthwise convolutions and the dense layer. */
  macs: number;
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Parameter and multiply-add counts of `buildShuffleNetV1(config)`, computed from the layer list
 * (plan.ts) without building the model. Multiply-adds are counted as the PyTorch reference does
 * (`/work/shared/bench/pytorch_shufflenet.py`): out_h * out_w * out_c * in_c/groups * k * k for every
 * convolution (its kernel's size times the output pixels) and in * out for the classifier; batch
 * norm, pooling, shuffle, add and ReLU are free.
 */
export function modelSummary(config: ModelConfig): ModelSummary {
  let trainable = 0;
  let stats = 0;
  let macs = 0;
  for (const layer of allLayers(describeShuffleNet(config))) {
    for (const w of weightsOf(layer)) {
      if (w.trainable) trainable += count(w.shape);
      else stats += count(w.shape);
    }
    if (layer.kind === 'stemConv' || layer.kind === 'pointwiseConv' || layer.kind === 'depthwiseConv')
      macs += layer.size * layer.size * count(layer.kernel.shape);
    if (layer.kind === 'dense') macs += count(layer.kernel.shape);
  }
  return { trainableParams: trainable, totalParams: trainable + stats, macs };
}
