/**
 * ShuffleNetV1 (Zhang et al. 2017, Table 1) as a tfjs-layers functional model, laid out like the
 * MindSpore tutorial and the PyTorch reference in ../shared/bench/pytorch_shufflenet.py.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../types';
import { networkPlan, type UnitPlan } from './arch';
import { BatchNorm2d, ChannelShuffle, GroupedConv1x1 } from './layers';

/** MindSpore BatchNorm2d defaults (momentum 0.9, eps 1e-5) rather than Keras' 0.99 / 1e-3. */
function batchNorm(name: string, zeroGamma = false): tf.layers.Layer {
  return new BatchNorm2d({ name, momentum: 0.9, epsilon: 1e-5, zeroGamma });
}

function relu(name: string): tf.layers.Layer {
  return tf.layers.reLU({ name });
}

/**
 * 3x3 depthwise conv, He-normal over its true fan-in of 9. tfjs computes a depthwise kernel's fan-in
 * as 9 * channels, so the scale is multiplied by `channels` to cancel that.
 */
function depthwise(name: string, channels: number, stride: number): tf.layers.Layer {
  return tf.layers.depthwiseConv2d({
    name,
    kernelSize: 3,
    strides: stride,
    padding: stride === 1 ? 'same' : 'valid',
    depthMultiplier: 1,
    useBias: false,
    depthwiseInitializer: tf.initializers.varianceScaling({
      scale: 2 * channels,
      mode: 'fanIn',
      distribution: 'normal',
    }),
  });
}

/**
 * One pixel of zeros on every side, as PyTorch's and MindSpore's `padding=1` does before the
 * stride-2 layers. tfjs's 'same' padding would pad only bottom/right on even sizes, which shifts
 * the shortcut against the branch by a pixel; and its AvgPoolGrad always divides by the full
 * window while its 'same' forward divides by the valid count, a wrong gradient at the borders
 * (measured: 7% off in every layer below a stride-2 unit). Pad + 'valid' pooling averages over
 * all 9 values (PyTorch's count_include_pad) in both directions.
 */
function padOne(name: string): tf.layers.Layer {
  return tf.layers.zeroPadding2d({ name, padding: [[1, 1], [1, 1]] });
}

/** One unit: relu(concat(avgpool(x), branch(x))) for stride 2, relu(x + branch(x)) for stride 1. */
function shuffleUnit(x: tf.SymbolicTensor, u: UnitPlan, init: InitOptions): tf.SymbolicTensor {
  const n = u.name;
  let b = new GroupedConv1x1({ name: `${n}.pw1`, filters: u.midChannels, groups: u.firstGroups }).apply(x) as tf.SymbolicTensor;
  b = batchNorm(`${n}.pw1_bn`).apply(b) as tf.SymbolicTensor;
  b = relu(`${n}.pw1_relu`).apply(b) as tf.SymbolicTensor;
  if (u.groups > 1) b = new ChannelShuffle({ name: `${n}.shuffle`, groups: u.groups }).apply(b) as tf.SymbolicTensor;
  if (u.stride === 2) b = padOne(`${n}.dw_pad`).apply(b) as tf.SymbolicTensor;
  b = depthwise(`${n}.dw`, u.midChannels, u.stride).apply(b) as tf.SymbolicTensor;
  b = batchNorm(`${n}.dw_bn`).apply(b) as tf.SymbolicTensor;
  b = new GroupedConv1x1({ name: `${n}.pw2`, filters: u.branchChannels, groups: u.groups }).apply(b) as tf.SymbolicTensor;
  b = batchNorm(`${n}.pw2_bn`, init.zeroInitBranches ?? false).apply(b) as tf.SymbolicTensor;
  let out: tf.SymbolicTensor;
  if (u.stride === 2) {
    const padded = padOne(`${n}.shortcut_pad`).apply(x) as tf.SymbolicTensor;
    const shortcut = tf.layers
      .averagePooling2d({ name: `${n}.shortcut_pool`, poolSize: 3, strides: 2, padding: 'valid' })
      .apply(padded) as tf.SymbolicTensor;
    out = tf.layers.concatenate({ name: `${n}.concat`, axis: -1 }).apply([shortcut, b]) as tf.SymbolicTensor;
  } else {
    out = tf.layers.add({ name: `${n}.add` }).apply([x, b]) as tf.SymbolicTensor;
  }
  return relu(`${n}.relu`).apply(out) as tf.SymbolicTensor;
}

/** How a fresh model's weights start; not part of the architecture, so not in ModelConfig. */
export interface InitOptions {
  /**
   * Start each unit's last batch-norm gamma at 0, so every unit begins as its shortcut. From
   * scratch on a few hundred images this keeps the first epochs from diverging; on CIFAR-10 it made
   * the first epochs slower (docs/results.md), so it is off unless asked for.
   */
  zeroInitBranches?: boolean;
}

/**
 * Builds an untrained ShuffleNetV1.
 *
 * Input `[batch, inputSize, inputSize, 3]` (normalised float32), output logits `[batch, numClasses]`
 * (no softmax). Stem `imagenet`: 3x3/2 conv + BN + ReLU + 3x3/2 max-pool (for 224 input);
 * stem `cifar`: 3x3/1 conv + BN + ReLU (for 32 input). Then stages 2-4 with 4/8/4 units, global
 * average pool and a dense classifier with bias. Throws `UserError` for an unsupported config.
 */
export function buildShuffleNetV1(config: ModelConfig, init: InitOptions = {}): tf.LayersModel {
  const plan = networkPlan(config);
  const input = tf.input({ name: 'image', shape: [config.inputSize, config.inputSize, 3] });
  let x = tf.layers
    .conv2d({
      name: 'stem.conv',
      filters: plan.stemChannels,
      kernelSize: 3,
      strides: plan.stemStride,
      padding: 'same',
      useBias: false,
      kernelInitializer: tf.initializers.heNormal({}),
    })
    .apply(input) as tf.SymbolicTensor;
  x = batchNorm('stem.bn').apply(x) as tf.SymbolicTensor;
  x = relu('stem.relu').apply(x) as tf.SymbolicTensor;
  if (plan.stemMaxPool) {
    x = tf.layers.maxPooling2d({ name: 'stem.pool', poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  }
  for (const unit of plan.units) x = shuffleUnit(x, unit, init);
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  // The kernel as PyTorch's nn.Linear default, U(±1/sqrt(fan_in)), and a zero bias: tfjs's Glorot
  // default gave logits a few times larger (a first-epoch loss of 3.9 for 3 classes on folder-sample).
  const classifierInit = () => tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform' });
  const logits = tf.layers
    .dense({ name: 'classifier', units: config.numClasses, useBias: true, kernelInitializer: classifierInit(), biasInitializer: tf.initializers.zeros() })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({
    name: `shufflenet_v1_g${config.groups}_${config.scale}x_${config.stem}`,
    inputs: input,
    outputs: logits,
  });
}
