/**
 * ShuffleNetV1 as an ONNX graph (NCHW), written from the layer list the tfjs builder walks
 * (model/plan.ts describeShuffleNet) and filled with a checkpoint's weights. Every batch norm is folded
 * into the convolution before it (inference uses the moving statistics), so the graph holds only
 * Conv, Relu, MaxPool, AveragePool, Reshape, Transpose, Concat, Add, GlobalAveragePool, Flatten and Gemm.
 */
import { UserError } from '../errors';
import { describeShuffleNet, type BatchNorm, type DepthwiseConv, type Layer, type PointwiseConv, type StemConv, type UnitLayers } from '../model/plan';
import type { ModelConfig } from '../types';
import { CheckpointGraph } from './checkpoint-graph';
import type { CheckpointWeights, NamedWeight } from './checkpoint-weights';
import { bottleneckPadding, padPw2Inputs, padRows, type BottleneckPadding } from './nchwc-padding';
import type { Attribute, OnnxInitializer, OnnxNode, OnnxValueInfo } from './onnx-proto';

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'logits';

export interface OnnxGraphOptions {
  /**
   * ONNX Runtime's NCHWc block on the machine that will run the graph (nchwcBlockSize()): bottlenecks
   * are zero-padded to whole blocks where that lets their grouped convs use the blocked kernels
   * (nchwc-padding.ts). Default 1: no padding, the portable graph an exported file holds.
   */
  nchwcBlock?: number;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** `[kh, kw, cin, cout]` (tfjs HWIO) to `[cout, cin, kh, kw]` (ONNX OIHW); also covers grouped 1x1 `[1, 1, cin/g, cout]`. */
function hwioToOihw(w: NamedWeight): Float32Array {
  const [kh, kw, cin, cout] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = w.data[src + o];
      }
    }
  }
  return out;
}

/** Depthwise `[kh, kw, channels, 1]` to `[channels, 1, kh, kw]`. */
function depthwiseToOihw(w: NamedWeight): Float32Array {
  const [kh, kw, channels] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let c = 0; c < channels; c++) out[(c * kh + y) * kw + x] = w.data[(y * kw + x) * channels + c];
    }
  }
  return out;
}

type Conv = StemConv | PointwiseConv | DepthwiseConv;

/** A conv layer's weight as OIHW, its dims and its Conv attributes, unpadded. */
function convOf(g: CheckpointGraph, l: Conv): { oihw: Float32Array; dims: number[]; attributes: Record<string, Attribute> } {
  const kernel = g.weight(l.kernel.name, l.kernel.shape);
  switch (l.kind) {
    case 'stemConv': {
      const [pb, pe] = l.pads;
      return { oihw: hwioToOihw(kernel), dims: [l.channels, l.inChannels, 3, 3], attributes: { strides: [l.stride, l.stride], pads: [pb, pb, pe, pe] } };
    }
    case 'pointwiseConv':
      return { oihw: hwioToOihw(kernel), dims: [l.channels, l.inChannels / l.groups, 1, 1], attributes: pointwiseAttributes(l.groups) };
    case 'depthwiseConv':
      // The tfjs model's 1-pixel zero padding before a stride-2 depthwise conv becomes pads [1,1,1,1].
      return { oihw: depthwiseToOihw(kernel), dims: [l.channels, 1, 3, 3], attributes: depthwiseAttributes(l.channels, l.stride) };
  }
}

function pointwiseAttributes(groups: number): Record<string, Attribute> {
  return { group: groups, strides: [1, 1], pads: [0, 0, 0, 0] };
}

function depthwiseAttributes(channels: number, stride: number): Record<string, Attribute> {
  return { group: channels, strides: [stride, stride], pads: [1, 1, 1, 1] };
}

/**
 * NCHW channel shuffle: `[n, g, c/g, h, w]`, swap axes 1 and 2, back to `[n, c, h, w]` (same
 * permutation as the tfjs layer). The reshapes copy the batch axis (0) instead of inferring it (-1)
 * so ONNX Runtime's shape inference keeps the symbolic `batch` through the shuffle; with an unknown
 * batch it cannot prove the residual Add's inputs match and leaves Conv + Add + Relu unfused.
 */
function channelShuffle(g: CheckpointGraph, name: string, x: string, channels: number, groups: number, size: number): string {
  const split = g.constant(`${name}.split_shape`, [5], BigInt64Array.from([0n, BigInt(groups), BigInt(channels / groups), BigInt(size), BigInt(size)]));
  const merged = g.constant(`${name}.merge_shape`, [4], BigInt64Array.from([0n, BigInt(channels), BigInt(size), BigInt(size)]));
  const viewed = g.node('Reshape', `${name}.split`, [x, split]);
  const swapped = g.node('Transpose', `${name}.transpose`, [viewed], { perm: [0, 2, 1, 3, 4] });
  return g.node('Reshape', name, [swapped, merged]);
}

/**
 * A bottleneck zero-padded for NCHWc (nchwc-padding.ts) while it is being written: `width` padded
 * channels in all, and `rows`, where each real channel of the current value sits (null: the
 * value is unpadded, before pw1 and after pw2).
 */
interface Padded {
  p: BottleneckPadding;
  width: number;
  rows: Int32Array | null;
}

/** A conv with the batch norm after it folded in; with `pad`, its weights spread to the padded channels. */
function convBn(g: CheckpointGraph, x: string, l: Conv, bn: BatchNorm, pad: Padded | null): string {
  const { oihw, dims, attributes } = convOf(g, l);
  const bias = g.foldBn(bn, oihw, dims[0]);
  if (!pad) return g.conv(l.name, bn.name, x, oihw, bias, dims, attributes);
  const { p, width, rows } = pad;
  if (l.kind === 'pointwiseConv' && rows === null) {
    // pw1: its outputs spread over the padded bottleneck.
    pad.rows = p.pw1Channel;
    return g.conv(l.name, bn.name, x, padRows(oihw, dims[1], p.pw1Channel, width), padRows(bias, 1, p.pw1Channel, width), [width, dims[1], 1, 1], attributes);
  }
  if (l.kind === 'depthwiseConv' && rows !== null) {
    return g.conv(l.name, bn.name, x, padRows(oihw, 9, rows, width), padRows(bias, 1, rows, width), [width, 1, 3, 3], depthwiseAttributes(width, l.stride));
  }
  if (l.kind === 'pointwiseConv' && rows === p.shuffledChannel) {
    // pw2: reads the padded bottleneck, writes the unit's real channels.
    pad.rows = null;
    return g.conv(l.name, bn.name, x, padPw2Inputs(oihw, dims[0], l.groups, p), bias, [dims[0], p.groupWidth, 1, 1], attributes);
  }
  throw new Error(`onnx graph: ${l.name} has no padded form at this place of the bottleneck`);
}

/**
 * The nodes of `layers` in order from `x`; every conv takes the batch norm after it (folded), so
 * a batch norm elsewhere is an error. `pad`: the bottleneck is written zero-padded (see Padded).
 */
function emitLayers(g: CheckpointGraph, x: string, layers: readonly Layer[], pad: Padded | null = null): string {
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    switch (l.kind) {
      case 'stemConv':
      case 'pointwiseConv':
      case 'depthwiseConv': {
        const bn = layers[i + 1];
        if (bn?.kind !== 'batchNorm') throw new Error(`onnx graph: ${l.name} has no batch norm after it to fold`);
        x = convBn(g, x, l, bn, pad);
        i += 1;
        break;
      }
      case 'batchNorm':
        throw new Error(`onnx graph: batch norm ${l.name} follows no convolution`);
      case 'relu':
        x = g.node('Relu', l.name, [x]);
        break;
      case 'channelShuffle':
        if (pad?.rows) {
          if (pad.rows !== pad.p.pw1Channel) throw new Error(`onnx graph: ${l.name} must follow pw1 in a padded bottleneck`);
          pad.rows = pad.p.shuffledChannel;
        }
        x = channelShuffle(g, l.name, x, pad ? pad.width : l.channels, l.groups, l.size);
        break;
      case 'maxPool': {
        const [b, e] = l.pads;
        x = g.node('MaxPool', l.name, [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [b, b, e, e] });
        break;
      }
      case 'avgPool':
        // The tfjs model's zero padding layer becomes pads, counted in the average (count_include_pad).
        x = g.node('AveragePool', l.name, [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 });
        break;
      case 'globalPool':
        x = g.node('Flatten', `${l.name}.flatten`, [g.node('GlobalAveragePool', l.name, [x])], { axis: 1 });
        break;
      case 'dense': {
        // The network's last layer: its output is the graph's.
        const kernel = g.weight(l.kernel.name, l.kernel.shape);
        const bias = g.weight(l.bias.name, l.bias.shape);
        const inputs = [x, g.constant(`${l.name}.weight`, kernel.shape, kernel.data), g.constant(`${l.name}.bias`, bias.shape, bias.data)];
        x = g.node('Gemm', l.name, inputs, undefined, [OUTPUT_NAME]);
        break;
      }
    }
  }
  return x;
}

/** One unit, its bottleneck padded for NCHWc where that pays (nchwc-padding.ts). */
function shuffleUnit(g: CheckpointGraph, x: string, u: UnitLayers, nchwcBlock: number): string {
  const p = bottleneckPadding(u.plan, nchwcBlock);
  const b = emitLayers(g, x, u.branch, p ? { p, width: u.plan.groups * p.groupWidth, rows: null } : null);
  const shortcut = emitLayers(g, x, u.shortcut);
  if (u.merge.kind === 'concat') {
    // relu(concat(pool(x), b)) = concat(pool(x), relu(b)) exactly: x is a ReLU output, so its
    // average is never negative. The ReLU then sits right after the conv, where ONNX Runtime fuses it.
    return g.node('Concat', u.merge.name, [shortcut, g.node('Relu', u.relu.name, [b])], { axis: 1 });
  }
  return g.node('Relu', u.relu.name, [g.node('Add', u.merge.name, [shortcut, b])]);
}

/**
 * The ONNX graph of a ShuffleNetV1 with `config` and the checkpoint's weights.
 * Input `input` float32 `[batch, 3, inputSize, inputSize]` (NCHW, already normalised), output
 * `logits` float32 `[batch, numClasses]`.
 * @throws UserError when the weights do not match the model settings.
 */
export function buildOnnxGraph(config: ModelConfig, ckpt: CheckpointWeights, options: OnnxGraphOptions = {}): OnnxGraph {
  const net = describeShuffleNet(config);
  const g = new CheckpointGraph(ckpt);
  let x = emitLayers(g, INPUT_NAME, net.stem);
  for (const unit of net.units) x = shuffleUnit(g, x, unit, options.nchwcBlock ?? 1);
  emitLayers(g, x, net.head);

  const unused = g.unusedWeights();
  if (unused.length > 0) {
    throw new UserError(
      `The checkpoint has weights the model settings do not use (${unused.slice(0, 3).join(', ')}${unused.length > 3 ? ', ...' : ''})`,
      'model-corrupt',
    );
  }
  return {
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: INPUT_NAME, shape: ['batch', 3, config.inputSize, config.inputSize], docString: 'normalised RGB, NCHW: (pixel / 255 - mean) / std' }],
    outputs: [{ name: OUTPUT_NAME, shape: ['batch', config.numClasses], docString: 'class logits (apply softmax for probabilities)' }],
  };
}
