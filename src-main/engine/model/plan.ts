/**
 * ShuffleNetV1 layer by layer, as plain data (no tfjs): every layer in order with its kind, output
 * channels and spatial side, strides, pads and the names and tfjs shapes of its weights. The three
 * emitters (the tfjs model, model/shufflenet.ts; the ONNX inference graph, onnx/onnx-graph.ts; the
 * ONNX training graph, ort-train/training-graph.ts) and the analytic summary walk this list, so the
 * op order and the saved weight names have this one home. Each emitter has one function per
 * `LayerKind`, called by the kind's name.
 */
import type { ModelConfig } from '../types';
import { networkPlan, type UnitPlan } from './arch';

/** A weight under its saved (tfjs) name, `layer/kernel`, with its tfjs shape. */
export interface WeightSpec {
  name: string;
  shape: number[];
  /** False for batch norm's moving statistics, which the optimizer does not update. */
  trainable: boolean;
}

/** tfjs 'same' padding of one spatial axis: output ceil(in / stride), the odd pixel at the end. */
export function samePads(inSize: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

interface Base {
  /** The tfjs layer's name; ONNX node and constant names start with it. */
  name: string;
  /** Output channels. */
  channels: number;
  /** Output spatial side (inputs are square). */
  size: number;
}

/** Dense 3x3 conv of the image, tfjs 'same' pads `[before, after]` on both axes, no bias. */
export interface StemConv extends Base {
  kind: 'stemConv';
  inChannels: number;
  stride: 1 | 2;
  pads: [number, number];
  kernel: WeightSpec;
}
/** Grouped 1x1 conv without bias (the tfjs layer `PointwiseConv`, saved as `GroupedConv1x1`). */
export interface PointwiseConv extends Base {
  kind: 'pointwiseConv';
  inChannels: number;
  groups: number;
  kernel: WeightSpec;
}
/** ShuffleNet's channel shuffle over `groups`. */
export interface ChannelShuffle extends Base {
  kind: 'channelShuffle';
  groups: number;
}
/**
 * 3x3 depthwise conv over one pixel of zeros on every side (PyTorch's `padding=1`). At stride 2 the
 * tfjs model pads with its own layer `padLayer` (see shufflenet.ts for why); ONNX takes pads.
 */
export interface DepthwiseConv extends Base {
  kind: 'depthwiseConv';
  stride: 1 | 2;
  padLayer: string;
  kernel: WeightSpec;
}
/** Batch norm over batch and pixels; MindSpore's momentum and epsilon. */
export interface BatchNorm extends Base {
  kind: 'batchNorm';
  momentum: number;
  epsilon: number;
  gamma: WeightSpec;
  beta: WeightSpec;
  movingMean: WeightSpec;
  movingVariance: WeightSpec;
}
export interface Relu extends Base {
  kind: 'relu';
}
/** The imagenet stem's 3x3 stride-2 max pool, tfjs 'same' pads. */
export interface MaxPool extends Base {
  kind: 'maxPool';
  pads: [number, number];
}
/** A stride-2 unit's shortcut: 3x3 stride-2 average over one pixel of zeros (`padLayer` in tfjs), dividing by 9. */
export interface AvgPool extends Base {
  kind: 'avgPool';
  padLayer: string;
}
/** Global average pool to `[batch, channels]`. */
export interface GlobalPool extends Base {
  kind: 'globalPool';
}
/** The classifier: `[in, classes]` kernel and a bias. */
export interface Dense extends Base {
  kind: 'dense';
  inChannels: number;
  kernel: WeightSpec;
  bias: WeightSpec;
}

export type Layer = StemConv | PointwiseConv | ChannelShuffle | DepthwiseConv | BatchNorm | Relu | MaxPool | AvgPool | GlobalPool | Dense;
export type LayerKind = Layer['kind'];

/**
 * One unit: `relu(merge(shortcut(x), branch(x)))`. Stride 1: the shortcut is `x` itself and the
 * merge an `add`; stride 2: an average pool and a channel `concat` (shortcut channels first).
 */
export interface UnitLayers {
  name: string;
  plan: UnitPlan;
  /** Input spatial side. */
  inSize: number;
  /** pw1, its batch norm and ReLU, the shuffle (groups > 1), depthwise, its batch norm, pw2, its batch norm. */
  branch: Layer[];
  /** Empty for the identity shortcut. */
  shortcut: AvgPool[];
  merge: { kind: 'add' | 'concat'; name: string };
  relu: Relu;
}

export interface NetworkLayers {
  inputSize: number;
  numClasses: number;
  /** Conv, batch norm, ReLU and (imagenet stem) max pool. */
  stem: Layer[];
  units: UnitLayers[];
  /** Global pool and the classifier. */
  head: Layer[];
}

/** MindSpore BatchNorm2d defaults (momentum 0.9, eps 1e-5) rather than Keras' 0.99 / 1e-3. */
const BN_MOMENTUM = 0.9;
const BN_EPSILON = 1e-5;

const weight = (layer: string, key: string, shape: number[], trainable = true): WeightSpec => ({ name: `${layer}/${key}`, shape, trainable });

function batchNorm(name: string, channels: number, size: number): BatchNorm {
  return {
    kind: 'batchNorm',
    name,
    channels,
    size,
    momentum: BN_MOMENTUM,
    epsilon: BN_EPSILON,
    gamma: weight(name, 'gamma', [channels]),
    beta: weight(name, 'beta', [channels]),
    movingMean: weight(name, 'moving_mean', [channels], false),
    movingVariance: weight(name, 'moving_variance', [channels], false),
  };
}

function pointwiseConv(name: string, inChannels: number, channels: number, groups: number, size: number): PointwiseConv {
  return { kind: 'pointwiseConv', name, channels, size, inChannels, groups, kernel: weight(name, 'kernel', [1, 1, inChannels / groups, channels]) };
}

function unitLayers(u: UnitPlan, inSize: number): UnitLayers {
  const n = u.name;
  const size = Math.ceil(inSize / u.stride);
  const mid = u.midChannels;
  const branch: Layer[] = [
    pointwiseConv(`${n}.pw1`, u.inChannels, mid, u.firstGroups, inSize),
    batchNorm(`${n}.pw1_bn`, mid, inSize),
    { kind: 'relu', name: `${n}.pw1_relu`, channels: mid, size: inSize },
  ];
  if (u.groups > 1) branch.push({ kind: 'channelShuffle', name: `${n}.shuffle`, channels: mid, size: inSize, groups: u.groups });
  branch.push(
    {
      kind: 'depthwiseConv',
      name: `${n}.dw`,
      channels: mid,
      size,
      stride: u.stride,
      padLayer: `${n}.dw_pad`,
      kernel: weight(`${n}.dw`, 'depthwise_kernel', [3, 3, mid, 1]),
    },
    batchNorm(`${n}.dw_bn`, mid, size),
    pointwiseConv(`${n}.pw2`, mid, u.branchChannels, u.groups, size),
    batchNorm(`${n}.pw2_bn`, u.branchChannels, size),
  );
  const shortcut: AvgPool[] =
    u.stride === 2 ? [{ kind: 'avgPool', name: `${n}.shortcut_pool`, channels: u.inChannels, size, padLayer: `${n}.shortcut_pad` }] : [];
  return {
    name: n,
    plan: u,
    inSize,
    branch,
    shortcut,
    merge: { kind: u.stride === 2 ? 'concat' : 'add', name: `${n}.${u.stride === 2 ? 'concat' : 'add'}` },
    relu: { kind: 'relu', name: `${n}.relu`, channels: u.outChannels, size },
  };
}

/**
 * Every layer of `buildShuffleNetV1(config)` in order. Throws `UserError` for an unsupported config
 * (arch.ts validateModelConfig).
 */
export function describeShuffleNet(config: ModelConfig): NetworkLayers {
  const plan = networkPlan(config);
  const c = plan.stemChannels;
  const stride = plan.stemStride;
  let size = Math.ceil(config.inputSize / stride);
  const stem: Layer[] = [
    {
      kind: 'stemConv',
      name: 'stem.conv',
      channels: c,
      size,
      inChannels: 3,
      stride,
      pads: samePads(config.inputSize, 3, stride),
      kernel: weight('stem.conv', 'kernel', [3, 3, 3, c]),
    },
    batchNorm('stem.bn', c, size),
    { kind: 'relu', name: 'stem.relu', channels: c, size },
  ];
  if (plan.stemMaxPool) {
    const pads = samePads(size, 3, 2);
    size = Math.ceil(size / 2);
    stem.push({ kind: 'maxPool', name: 'stem.pool', channels: c, size, pads });
  }
  const units = plan.units.map((u) => {
    const unit = unitLayers(u, size);
    size = unit.relu.size;
    return unit;
  });
  const f = plan.finalChannels;
  const k = config.numClasses;
  const head: Layer[] = [
    { kind: 'globalPool', name: 'pool', channels: f, size: 1 },
    {
      kind: 'dense',
      name: 'classifier',
      channels: k,
      size: 1,
      inChannels: f,
      kernel: weight('classifier', 'kernel', [f, k]),
      bias: weight('classifier', 'bias', [k]),
    },
  ];
  return { inputSize: config.inputSize, numClasses: k, stem, units, head };
}

/** A layer's weights in the tfjs layer's order (batch norm: gamma, beta, moving mean, moving variance). */
export function weightsOf(layer: Layer): WeightSpec[] {
  switch (layer.kind) {
    case 'stemConv':
    case 'pointwiseConv':
    case 'depthwiseConv':
      return [layer.kernel];
    case 'batchNorm':
      return [layer.gamma, layer.beta, layer.movingMean, layer.movingVariance];
    case 'dense':
      return [layer.kernel, layer.bias];
    default:
      return [];
  }
}

/** Every layer in order: the stem, each unit's branch, shortcut and ReLU, the head (the merges, add or concat, are not layers of a kind). */
export function allLayers(net: NetworkLayers): Layer[] {
  return [...net.stem, ...net.units.flatMap((u) => [...u.branch, ...u.shortcut, u.relu]), ...net.head];
}
