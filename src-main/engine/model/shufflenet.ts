/**
 * ShuffleNetV1 (Zhang et al. 2017, Table 1) as a tfjs-layers functional model, laid out like the
 * MindSpore tutorial and the PyTorch reference in ../shared/bench/pytorch_shufflenet.py.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../types';
import { describeShuffleNet, type Layer, type UnitLayers } from './plan';
import { BatchNorm2d, ChannelShuffle, PointwiseConv } from './layers';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/**
 * One pixel of zeros on every side, as PyTorch's and MindSpore's `padding=1` does before the
 * stride-2 layers. tfjs's 'same' padding would pad only bottom/right on even sizes, which shifts
 * the shortcut against the branch by a pixel; and its AvgPoolGrad always divides by the full
 * window while its 'same' forward divides by the valid count, a wrong gradient at the borders
 * (measured: 7% off in every layer below a stride-2 unit). Pad + 'valid' pooling averages over
 * all 9 values (PyTorch's count_include_pad) in both directions.
 */
function padOne(name: string): tf.layers.Layer {
  return tf.layers.zeroPadding2d({
    name,
    padding: [
      [1, 1],
      [1, 1],
    ],
  });
}

/**
 * The tfjs layer(s) of one described layer, applied to `x`. `zeroGamma` starts a batch norm's gamma
 * at 0 (InitOptions.zeroInitBranches).
 */
function layer(x: Sym, l: Layer, zeroGamma = false): Sym {
  switch (l.kind) {
    case 'stemConv':
      return apply(
        tf.layers.conv2d({
          name: l.name,
          filters: l.channels,
          kernelSize: 3,
          strides: l.stride,
          padding: 'same',
          useBias: false,
          kernelInitializer: tf.initializers.heNormal({}),
        }),
        x,
      );
    case 'pointwiseConv':
      return apply(new PointwiseConv({ name: l.name, filters: l.channels, groups: l.groups }), x);
    case 'channelShuffle':
      return apply(new ChannelShuffle({ name: l.name, groups: l.groups }), x);
    case 'depthwiseConv': {
      const padded = l.stride === 1 ? x : apply(padOne(l.padLayer), x);
      // He-normal over the true fan-in of 9: tfjs counts a depthwise kernel's fan-in as 9 * channels,
      // so the scale is multiplied by the channels to cancel that.
      return apply(
        tf.layers.depthwiseConv2d({
          name: l.name,
          kernelSize: 3,
          strides: l.stride,
          padding: l.stride === 1 ? 'same' : 'valid',
          depthMultiplier: 1,
          useBias: false,
          depthwiseInitializer: tf.initializers.varianceScaling({ scale: 2 * l.channels, mode: 'fanIn', distribution: 'normal' }),
        }),
        padded,
      );
    }
    case 'batchNorm':
      return apply(new BatchNorm2d({ name: l.name, momentum: l.momentum, epsilon: l.epsilon, zeroGamma }), x);
    case 'relu':
      return apply(tf.layers.reLU({ name: l.name }), x);
    case 'maxPool':
      return apply(tf.layers.maxPooling2d({ name: l.name, poolSize: 3, strides: 2, padding: 'same' }), x);
    case 'avgPool': {
      const padded = apply(padOne(l.padLayer), x);
      return apply(tf.layers.averagePooling2d({ name: l.name, poolSize: 3, strides: 2, padding: 'valid' }), padded);
    }
    case 'globalPool':
      return apply(tf.layers.globalAveragePooling2d({ name: l.name }), x);
    case 'dense': {
      // The kernel as PyTorch's nn.Linear default, U(±1/sqrt(fan_in)), and a zero bias: tfjs's Glorot
      // default gave logits a few times larger (a first-epoch loss of 3.9 for 3 classes on folder-sample).
      const kernelInitializer = tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform' });
      return apply(tf.layers.dense({ name: l.name, units: l.channels, useBias: true, kernelInitializer, biasInitializer: tf.initializers.zeros() }), x);
    }
  }
}

/** One unit: relu(concat(avgpool(x), branch(x))) for stride 2, relu(x + branch(x)) for stride 1. */
function shuffleUnit(x: Sym, u: UnitLayers, init: InitOptions): Sym {
  const last = u.branch.length - 1;
  const b = u.branch.reduce((v, l, i) => layer(v, l, i === last && (init.zeroInitBranches ?? false)), x);
  const shortcut = u.shortcut.reduce((v, l) => layer(v, l), x);
  const merge = u.merge.kind === 'concat' ? tf.layers.concatenate({ name: u.merge.name, axis: -1 }) : tf.layers.add({ name: u.merge.name });
  return layer(apply(merge, [shortcut, b]), u.relu);
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
  const net = describeShuffleNet(config);
  const input = tf.input({ name: 'image', shape: [config.inputSize, config.inputSize, 3] });
  let x = net.stem.reduce((v, l) => layer(v, l), input);
  for (const unit of net.units) x = shuffleUnit(x, unit, init);
  const logits = net.head.reduce((v, l) => layer(v, l), x);
  return tf.model({
    name: `shufflenet_v1_g${config.groups}_${config.scale}x_${config.stem}`,
    inputs: input,
    outputs: logits,
  });
}
