/**
 * ShuffleNetV1 as an ONNX graph (NCHW), written from the same plan the tfjs builder uses
 * (model/arch.ts networkPlan) and filled with a checkpoint's weights. Every batch norm is folded
 * into the convolution before it (inference uses the moving statistics), so the graph holds only
 * Conv, Relu, MaxPool, AveragePool, Reshape, Transpose, Concat, Add, GlobalAveragePool, Flatten and Gemm.
 */
import { UserError } from '../errors';
import { networkPlan, type UnitPlan } from '../model/arch';
import type { ModelConfig } from '../types';
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

/** tfjs 'same' padding of one spatial axis: output ceil(in / stride), the odd pixel at the end. */
export function samePads(inSize: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
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

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly used = new Set<string>();

  constructor(private readonly ckpt: CheckpointWeights) {}

  /** A saved weight, checked against the shape the model definition expects. */
  weight(name: string, shape: number[]): NamedWeight {
    const w = this.ckpt.weights.get(name);
    if (!w) throw new UserError(`The checkpoint has no weight ${name}: it does not match its manifest's model settings`, 'model-corrupt');
    if (w.shape.join(',') !== shape.join(',')) {
      throw new UserError(`Weight ${name} has shape [${w.shape}], the model settings expect [${shape}]`, 'model-corrupt');
    }
    this.used.add(name);
    return w;
  }

  unusedWeights(): string[] {
    return [...this.ckpt.weights.keys()].filter((k) => !this.used.has(k));
  }

  epsilon(bnLayer: string): number {
    const eps = this.ckpt.layerConfigs.get(bnLayer)?.epsilon;
    if (typeof eps !== 'number') throw new UserError(`Batch norm layer ${bnLayer} has no epsilon in model.json`, 'model-corrupt');
    return eps;
  }

  constant(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  node(opType: string, name: string, inputs: string[], attributes?: Record<string, Attribute>): string {
    this.nodes.push({ opType, name, inputs, outputs: [name], attributes });
    return name;
  }

  /**
   * A convolution whose following batch norm `bn` is folded in: W' = W * s, b = beta - mean * s
   * with s = gamma / sqrt(movingVariance + epsilon), per output channel (weights OIHW).
   */
  convBn(name: string, bn: string, x: string, oihw: Float32Array, dims: number[], attributes: Record<string, Attribute>): string {
    const bias = this.foldBn(bn, oihw, dims[0]);
    return this.conv(name, bn, x, oihw, bias, dims, attributes);
  }

  /** Folds batch norm `bn` into the OIHW weight in place (see convBn) and returns the bias. */
  foldBn(bn: string, oihw: Float32Array, cout: number): Float32Array {
    const perOut = oihw.length / cout;
    const gamma = this.weight(`${bn}/gamma`, [cout]).data;
    const beta = this.weight(`${bn}/beta`, [cout]).data;
    const mean = this.weight(`${bn}/moving_mean`, [cout]).data;
    const variance = this.weight(`${bn}/moving_variance`, [cout]).data;
    const eps = this.epsilon(bn);
    const bias = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      const s = gamma[o] / Math.sqrt(variance[o] + eps);
      for (let k = o * perOut; k < (o + 1) * perOut; k++) oihw[k] *= s;
      bias[o] = beta[o] - mean[o] * s;
    }
    return bias;
  }

  /** A Conv node `out` with weight `dims` (OIHW) and bias; `kernel_shape` from the weight. */
  conv(name: string, out: string, x: string, oihw: Float32Array, bias: Float32Array, dims: number[], attributes: Record<string, Attribute>): string {
    const cout = dims[0];
    const w = this.constant(`${name}.weight`, dims, oihw);
    const b = this.constant(`${name}.bias`, [cout], bias);
    return this.node('Conv', out, [x, w, b], { kernel_shape: dims.slice(2), ...attributes });
  }
}

/** Grouped 1x1 conv + folded BN: the kernel `[1, 1, cin/groups, cout]` becomes `[cout, cin/groups, 1, 1]` with `group`. */
function pointwise(g: GraphBuilder, layer: string, x: string, cin: number, cout: number, groups: number): string {
  const w = g.weight(`${layer}/kernel`, [1, 1, cin / groups, cout]);
  return g.convBn(layer, `${layer}_bn`, x, hwioToOihw(w), [cout, cin / groups, 1, 1], { group: groups, strides: [1, 1], pads: [0, 0, 0, 0] });
}

/**
 * NCHW channel shuffle: `[n, g, c/g, h, w]`, swap axes 1 and 2, back to `[n, c, h, w]` (same
 * permutation as the tfjs layer). The reshapes copy the batch axis (0) instead of inferring it (-1)
 * so ONNX Runtime's shape inference keeps the symbolic `batch` through the shuffle; with an unknown
 * batch it cannot prove the residual Add's inputs match and leaves Conv + Add + Relu unfused.
 */
function channelShuffle(g: GraphBuilder, name: string, x: string, channels: number, groups: number, size: number): string {
  const split = g.constant(`${name}.split_shape`, [5], BigInt64Array.from([0n, BigInt(groups), BigInt(channels / groups), BigInt(size), BigInt(size)]));
  const merged = g.constant(`${name}.merge_shape`, [4], BigInt64Array.from([0n, BigInt(channels), BigInt(size), BigInt(size)]));
  const viewed = g.node('Reshape', `${name}.split`, [x, split]);
  const swapped = g.node('Transpose', `${name}.transpose`, [viewed], { perm: [0, 2, 1, 3, 4] });
  return g.node('Reshape', name, [swapped, merged]);
}

/** pw1 -> ReLU -> shuffle -> depthwise -> pw2 of a unit, as the tfjs model has them. */
function bottleneck(g: GraphBuilder, x: string, u: UnitPlan, size: number): string {
  const n = u.name;
  let b = pointwise(g, `${n}.pw1`, x, u.inChannels, u.midChannels, u.firstGroups);
  b = g.node('Relu', `${n}.pw1_relu`, [b]);
  if (u.groups > 1) b = channelShuffle(g, `${n}.shuffle`, b, u.midChannels, u.groups, size);
  const dw = g.weight(`${n}.dw/depthwise_kernel`, [3, 3, u.midChannels, 1]);
  b = g.convBn(`${n}.dw`, `${n}.dw_bn`, b, depthwiseToOihw(dw), [u.midChannels, 1, 3, 3], depthwiseAttributes(u));
  return pointwise(g, `${n}.pw2`, b, u.midChannels, u.branchChannels, u.groups);
}

function depthwiseAttributes(u: UnitPlan, channels = u.midChannels): Record<string, Attribute> {
  return { group: channels, strides: [u.stride, u.stride], pads: [1, 1, 1, 1] };
}

/** The same bottleneck with zero channels added so ONNX Runtime runs it in NCHWc (nchwc-padding.ts); same outputs. */
function paddedBottleneck(g: GraphBuilder, x: string, u: UnitPlan, size: number, p: BottleneckPadding): string {
  const n = u.name;
  const mid = u.groups * p.groupWidth;
  const pointwiseAttributes = (groups: number) => ({ group: groups, strides: [1, 1], pads: [0, 0, 0, 0] });

  const pw1Dims = [u.midChannels, u.inChannels / u.firstGroups, 1, 1];
  const pw1 = hwioToOihw(g.weight(`${n}.pw1/kernel`, [1, 1, pw1Dims[1], u.midChannels]));
  const pw1Bias = g.foldBn(`${n}.pw1_bn`, pw1, u.midChannels);
  let b = g.conv(`${n}.pw1`, `${n}.pw1_bn`, x, padRows(pw1, pw1Dims[1], p.pw1Channel, mid), padRows(pw1Bias, 1, p.pw1Channel, mid), [mid, pw1Dims[1], 1, 1], pointwiseAttributes(u.firstGroups));
  b = g.node('Relu', `${n}.pw1_relu`, [b]);
  b = channelShuffle(g, `${n}.shuffle`, b, mid, u.groups, size);

  const dw = depthwiseToOihw(g.weight(`${n}.dw/depthwise_kernel`, [3, 3, u.midChannels, 1]));
  const dwBias = g.foldBn(`${n}.dw_bn`, dw, u.midChannels);
  b = g.conv(`${n}.dw`, `${n}.dw_bn`, b, padRows(dw, 9, p.shuffledChannel, mid), padRows(dwBias, 1, p.shuffledChannel, mid), [mid, 1, 3, 3], depthwiseAttributes(u, mid));

  const perGroup = u.midChannels / u.groups;
  const pw2 = hwioToOihw(g.weight(`${n}.pw2/kernel`, [1, 1, perGroup, u.branchChannels]));
  const pw2Bias = g.foldBn(`${n}.pw2_bn`, pw2, u.branchChannels);
  const pw2Dims = [u.branchChannels, p.groupWidth, 1, 1];
  return g.conv(`${n}.pw2`, `${n}.pw2_bn`, b, padPw2Inputs(pw2, u.branchChannels, u.groups, p), pw2Bias, pw2Dims, pointwiseAttributes(u.groups));
}

/** One unit; `size` is its input's spatial side. The tfjs model's 1-pixel zero padding before stride-2 layers becomes pads [1,1,1,1]. */
function shuffleUnit(g: GraphBuilder, x: string, u: UnitPlan, size: number, nchwcBlock: number): string {
  const n = u.name;
  const padding = bottleneckPadding(u, nchwcBlock);
  const b = padding ? paddedBottleneck(g, x, u, size, padding) : bottleneck(g, x, u, size);
  if (u.stride === 2) {
    // relu(concat(pool(x), b)) = concat(pool(x), relu(b)) exactly: x is a ReLU output, so its
    // average is never negative. The ReLU then sits right after the conv, where ONNX Runtime fuses it.
    const shortcut = g.node('AveragePool', `${n}.shortcut_pool`, [x], {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      count_include_pad: 1,
    });
    return g.node('Concat', `${n}.concat`, [shortcut, g.node('Relu', `${n}.pw2_relu`, [b])], { axis: 1 });
  }
  return g.node('Relu', `${n}.relu`, [g.node('Add', `${n}.add`, [x, b])]);
}

/**
 * The ONNX graph of a ShuffleNetV1 with `config` and the checkpoint's weights.
 * Input `input` float32 `[batch, 3, inputSize, inputSize]` (NCHW, already normalised), output
 * `logits` float32 `[batch, numClasses]`.
 * @throws UserError when the weights do not match the model settings.
 */
export function buildOnnxGraph(config: ModelConfig, ckpt: CheckpointWeights, options: OnnxGraphOptions = {}): OnnxGraph {
  const plan = networkPlan(config);
  const g = new GraphBuilder(ckpt);
  let size = config.inputSize;

  const stem = g.weight('stem.conv/kernel', [3, 3, 3, plan.stemChannels]);
  const [pb, pe] = samePads(size, 3, plan.stemStride);
  let x = g.convBn('stem.conv', 'stem.bn', INPUT_NAME, hwioToOihw(stem), [plan.stemChannels, 3, 3, 3], {
    strides: [plan.stemStride, plan.stemStride],
    pads: [pb, pb, pe, pe],
  });
  size = Math.ceil(size / plan.stemStride);
  x = g.node('Relu', 'stem.relu', [x]);
  if (plan.stemMaxPool) {
    const [mb, me] = samePads(size, 3, 2);
    x = g.node('MaxPool', 'stem.pool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [mb, mb, me, me] });
    size = Math.ceil(size / 2);
  }
  for (const unit of plan.units) {
    x = shuffleUnit(g, x, unit, size, options.nchwcBlock ?? 1);
    if (unit.stride === 2) size = Math.ceil(size / 2);
  }
  x = g.node('GlobalAveragePool', 'pool', [x]);
  x = g.node('Flatten', 'pool.flatten', [x], { axis: 1 });
  const kernel = g.weight('classifier/kernel', [plan.finalChannels, config.numClasses]);
  const bias = g.weight('classifier/bias', [config.numClasses]);
  g.constant('classifier.weight', kernel.shape, kernel.data);
  g.constant('classifier.bias', bias.shape, bias.data);
  g.nodes.push({ opType: 'Gemm', name: 'classifier', inputs: [x, 'classifier.weight', 'classifier.bias'], outputs: [OUTPUT_NAME] });

  const unused = g.unusedWeights();
  if (unused.length > 0) {
    throw new UserError(`The checkpoint has weights the model settings do not use (${unused.slice(0, 3).join(', ')}${unused.length > 3 ? ', ...' : ''})`, 'model-corrupt');
  }
  return {
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: INPUT_NAME, shape: ['batch', 3, config.inputSize, config.inputSize], docString: 'normalised RGB, NCHW: (pixel / 255 - mean) / std' }],
    outputs: [{ name: OUTPUT_NAME, shape: ['batch', config.numClasses], docString: 'class logits (apply softmax for probabilities)' }],
  };
}
