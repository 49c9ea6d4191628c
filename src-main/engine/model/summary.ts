import type { ModelConfig } from '../types';
import { networkPlan } from './arch';

export interface ModelSummary {
  /** Weights the optimizer updates (conv kernels, batch-norm scale/offset, dense kernel and bias). */
  trainableParams: number;
  /** trainableParams plus the batch-norm moving mean and variance. */
  totalParams: number;
  /** Multiply-adds for one image of `inputSize` x `inputSize`: convolutions, depthwise convolutions and the dense layer. */
  macs: number;
}

/** Output side of a 3x3 'same' window with the given stride. */
const down = (size: number, stride: number): number => Math.ceil(size / stride);

/**
 * Parameter and multiply-add counts of `buildShuffleNetV1(config)`, computed from the layout
 * without building the model. Multiply-adds are counted as the PyTorch reference does
 * (`/work/shared/bench/pytorch_shufflenet.py`): out_h * out_w * out_c * in_c/groups * k * k for every
 * convolution and in * out for the classifier; batch norm, pooling, shuffle, add and ReLU are free.
 */
export function modelSummary(config: ModelConfig): ModelSummary {
  const plan = networkPlan(config);
  let trainable = 0;
  let stats = 0;
  let macs = 0;
  const batchNorm = (channels: number): void => {
    trainable += 2 * channels;
    stats += 2 * channels;
  };

  let size = down(config.inputSize, plan.stemStride);
  trainable += 3 * 3 * 3 * plan.stemChannels;
  macs += size * size * plan.stemChannels * 3 * 3 * 3;
  batchNorm(plan.stemChannels);
  if (plan.stemMaxPool) size = down(size, 2);

  for (const u of plan.units) {
    const pw1 = (u.inChannels / u.firstGroups) * u.midChannels;
    trainable += pw1;
    macs += size * size * pw1;
    batchNorm(u.midChannels);
    size = down(size, u.stride);
    trainable += 9 * u.midChannels;
    macs += size * size * 9 * u.midChannels;
    batchNorm(u.midChannels);
    const pw2 = (u.midChannels / u.groups) * u.branchChannels;
    trainable += pw2;
    macs += size * size * pw2;
    batchNorm(u.branchChannels);
  }

  trainable += plan.finalChannels * config.numClasses + config.numClasses;
  macs += plan.finalChannels * config.numClasses;
  return { trainableParams: trainable, totalParams: trainable + stats, macs };
}
