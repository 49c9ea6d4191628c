/**
 * The ShuffleNet as a TensorFlow.js graph model: the portable ONNX graph (onnx-graph.ts, batch
 * norms already folded into the convolutions) translated node by node into a TF GraphDef, so the
 * layer order and the folding have one home. The graph holds only ops that plain
 * `@tensorflow/tfjs` runs (Placeholder, Const, Conv2D, DepthwiseConv2dNative, BiasAdd, Relu,
 * MaxPool, AvgPool, Pad, BatchMatMulV2, Reshape, Transpose, ConcatV2, AddV2, Mean, MatMul): no
 * custom layer classes, so `tf.loadGraphModel` loads it anywhere.
 *
 * ONNX is NCHW, tfjs NHWC. Every translated tensor keeps its ONNX shape here while TF holds its
 * axes in `tfAxes(rank)` order: the batch, the two spatial axes, then the channel axes (for the
 * 5-D channel-shuffle view `[n, g, c/g, h, w]` that is `[n, h, w, g, c/g]`). Each op's axis
 * arguments are mapped through that order.
 */
import { INPUT_NAME, type OnnxGraph } from '../onnx/onnx-graph';
import type { Attribute, OnnxInitializer, OnnxNode } from '../onnx/onnx-proto';
import { bool, float, GraphDefBuilder, int, ints, str, type TfAttr } from './tfjs-graph-def';

/** The graph model's input node: float32 `[batch, size, size, 3]` NHWC. */
export const TFJS_INPUT_NAME = 'image';

interface Value {
  /** The TF node that holds it. */
  tf: string;
  /** Its ONNX shape; -1 for the batch. */
  shape: number[];
}

/** ONNX axis held at each TF axis, for a tensor of ONNX rank `rank`. */
function tfAxes(rank: number): number[] {
  if (rank < 3) return Array.from({ length: rank }, (_, i) => i);
  return [0, rank - 2, rank - 1, ...Array.from({ length: rank - 3 }, (_, i) => i + 1)];
}

/** The shape as TF holds it. */
function tfShape(shape: number[]): number[] {
  return tfAxes(shape.length).map((a) => shape[a]);
}

const conv2dAttrs = (stride: number, pads: number[]): Record<string, TfAttr> => {
  const [top, left, bottom, right] = pads;
  const explicit = pads.some((p) => p !== 0);
  return {
    T: float,
    strides: ints([1, stride, stride, 1]),
    dilations: ints([1, 1, 1, 1]),
    data_format: str('NHWC'),
    padding: str(explicit ? 'EXPLICIT' : 'VALID'),
    ...(explicit ? { explicit_paddings: ints([0, 0, top, bottom, left, right, 0, 0]) } : {}),
  };
};

/** tfjs 'same' pooling pads floor(total / 2) before and the rest after (samePads in model/plan.ts). */
function isSamePadding(size: number, kernel: number, stride: number, before: number, after: number): boolean {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  return before === Math.floor(total / 2) && after === total - before;
}

class Translator {
  readonly g = new GraphDefBuilder();
  private readonly values = new Map<string, Value>();
  private readonly initializers: Map<string, OnnxInitializer>;

  constructor(graph: OnnxGraph) {
    this.initializers = new Map(graph.initializers.map((i) => [i.name, i]));
  }

  define(name: string, value: Value): void {
    this.values.set(name, value);
  }

  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new Error(`TF.js export: ONNX value ${name} is used before it is computed`);
    return v;
  }

  initializer(name: string): OnnxInitializer {
    const init = this.initializers.get(name);
    if (!init) throw new Error(`TF.js export: ${name} is not a constant of the ONNX graph`);
    return init;
  }

  floats(name: string): Float32Array {
    const data = this.initializer(name).data;
    if (!(data instanceof Float32Array)) throw new Error(`TF.js export: ${name} is not float32`);
    return data;
  }

  /** Translates one ONNX node and records its output. */
  translate(node: OnnxNode): void {
    const a = node.attributes ?? {};
    const out = node.outputs[0];
    const x = this.values.get(node.inputs[0]);
    const g = this.g;
    const unsupported = () => new Error(`TF.js export: cannot translate ONNX ${node.opType} ${node.name} (${JSON.stringify(a)})`);
    switch (node.opType) {
      case 'Conv':
        return this.define(out, this.conv(node, this.value(node.inputs[0]), a));
      case 'Relu':
        return this.define(out, { tf: g.node('Relu', out, [x!.tf], { T: float }), shape: x!.shape });
      case 'Add':
        return this.define(out, { tf: g.node('AddV2', out, [x!.tf, this.value(node.inputs[1]).tf], { T: float }), shape: x!.shape });
      case 'MaxPool':
      case 'AveragePool': {
        const [k, s] = [(a.kernel_shape as number[])[0], (a.strides as number[])[0]];
        const [top, left, bottom, right] = (a.pads as number[] | undefined) ?? [0, 0, 0, 0];
        const [n, c, h, w] = x!.shape;
        const outSize = (size: number, before: number, after: number) => Math.floor((size + before + after - k) / s) + 1;
        const shape = [n, c, outSize(h, top, bottom), outSize(w, left, right)];
        const attrs = (padding: string) => ({
          T: float,
          ksize: ints([1, k, k, 1]),
          strides: ints([1, s, s, 1]),
          padding: str(padding),
          data_format: str('NHWC'),
        });
        const padded = top + left + bottom + right > 0;
        if (node.opType === 'MaxPool') {
          // Padding with -inf is what 'same' max pooling does; tfjs takes no explicit pads here.
          if (padded && !(isSamePadding(h, k, s, top, bottom) && isSamePadding(w, k, s, left, right))) throw unsupported();
          return this.define(out, { tf: g.node('MaxPool', out, [x!.tf], attrs(padded ? 'SAME' : 'VALID')), shape });
        }
        // count_include_pad: the zeros count, so pad with zeros and pool 'valid' (as the tfjs model does).
        if (padded && a.count_include_pad !== 1) throw unsupported();
        const input = padded
          ? g.node('Pad', `${out}/pad`, [x!.tf, g.ints(`${out}/paddings`, [0, 0, top, bottom, left, right, 0, 0], [4, 2])], {
              T: float,
              Tpaddings: { type: 'DT_INT32' },
            })
          : x!.tf;
        return this.define(out, { tf: g.node('AvgPool', out, [input], attrs('VALID')), shape });
      }
      case 'Concat': {
        const parts = node.inputs.map((i) => this.value(i));
        const axis = a.axis as number;
        const shape = [...x!.shape];
        shape[axis] = parts.reduce((sum, p) => sum + p.shape[axis], 0);
        const tfAxis = g.ints(`${out}/axis`, [tfAxes(shape.length).indexOf(axis)], []);
        return this.define(out, {
          tf: g.node('ConcatV2', out, [...parts.map((p) => p.tf), tfAxis], { T: float, N: int(parts.length), Tidx: { type: 'DT_INT32' } }),
          shape,
        });
      }
      case 'Transpose': {
        const perm = a.perm as number[];
        const axes = tfAxes(perm.length);
        const tfPerm = axes.map((o) => axes.indexOf(perm[o]));
        const shape = perm.map((p) => x!.shape[p]);
        return this.define(out, { tf: g.node('Transpose', out, [x!.tf, g.ints(`${out}/perm`, tfPerm)], { T: float, Tperm: { type: 'DT_INT32' } }), shape });
      }
      case 'Reshape': {
        // Only reshapes that keep the batch and the spatial axes and split or merge the channel
        // axes (the channel shuffle): those read the same element order in both layouts.
        const target = Array.from(this.initializer(node.inputs[1]).data as BigInt64Array, Number).map((d, i) => (d === 0 ? x!.shape[i] : d));
        const from = x!.shape;
        const keepsLayout = from.length >= 3 && target.length >= 3 && target[0] === from[0] && target.slice(-2).join() === from.slice(-2).join();
        if (!keepsLayout) throw unsupported();
        const tfTarget = tfShape(target);
        return this.define(out, {
          tf: g.node('Reshape', out, [x!.tf, g.ints(`${out}/shape`, tfTarget)], { T: float, Tshape: { type: 'DT_INT32' } }),
          shape: target,
        });
      }
      case 'GlobalAveragePool': {
        const [n, c] = x!.shape;
        return this.define(out, {
          tf: g.node('Mean', out, [x!.tf, g.ints(`${out}/axes`, [1, 2])], { T: float, Tidx: { type: 'DT_INT32' }, keep_dims: bool(true) }),
          shape: [n, c, 1, 1],
        });
      }
      case 'Flatten': {
        // [n, c, 1, 1] flattens to the same [n, c] in either layout; larger spatial sizes would not.
        const [n, ...rest] = x!.shape;
        if (a.axis !== 1 || rest.slice(1).some((d) => d !== 1)) throw unsupported();
        return this.define(out, {
          tf: g.node('Reshape', out, [x!.tf, g.ints(`${out}/shape`, [-1, rest[0]])], { T: float, Tshape: { type: 'DT_INT32' } }),
          shape: [n, rest[0]],
        });
      }
      case 'Gemm': {
        // Gemm without transposes or scaling: x [n, in] times W [in, out] plus b.
        if (Object.keys(a).length > 0) throw unsupported();
        const w = this.initializer(node.inputs[1]);
        const kernel = g.constant(`${node.name}/kernel`, w.dims, this.floats(w.name));
        const bias = g.constant(`${node.name}/bias`, [w.dims[1]], this.floats(node.inputs[2]));
        const product = g.node('MatMul', `${node.name}/matmul`, [x!.tf, kernel], { T: float, transpose_a: bool(false), transpose_b: bool(false) });
        return this.define(out, { tf: g.node('BiasAdd', out, [product, bias], { T: float, data_format: str('NHWC') }), shape: [x!.shape[0], w.dims[1]] });
      }
      default:
        throw unsupported();
    }
  }

  /**
   * An ONNX Conv with bias: Conv2D for an ordinary conv, DepthwiseConv2dNative when every channel
   * is its own group, and for a grouped 1x1 conv (tfjs's Conv2D has no groups) one batched matmul
   * `[g, pixels, cin/g] x [g, cin/g, cout/g]` between transposes, as the app's PointwiseConv layer does.
   */
  private conv(node: OnnxNode, x: Value, a: Record<string, Attribute>): Value {
    const g = this.g;
    const name = node.outputs[0];
    const w = this.initializer(node.inputs[1]);
    const oihw = this.floats(w.name);
    const [cout, cinPerGroup, kh, kw] = w.dims;
    const [n, cin, h, wd] = x.shape;
    const groups = (a.group as number | undefined) ?? 1;
    const stride = (a.strides as number[])[0];
    const pads = (a.pads as number[] | undefined) ?? [0, 0, 0, 0];
    const shape = [n, cout, Math.floor((h + pads[0] + pads[2] - kh) / stride) + 1, Math.floor((wd + pads[1] + pads[3] - kw) / stride) + 1];
    let conv: string;
    if (groups === 1) {
      // OIHW -> HWIO
      const hwio = new Float32Array(oihw.length);
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cin; i++)
          for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) hwio[((y * kw + z) * cin + i) * cout + o] = oihw[((o * cin + i) * kh + y) * kw + z];
      conv = g.node('Conv2D', `${name}/conv`, [x.tf, g.constant(`${name}/filter`, [kh, kw, cin, cout], hwio)], conv2dAttrs(stride, pads));
    } else if (groups === cin && cout === cin && cinPerGroup === 1) {
      // [C, 1, kh, kw] -> [kh, kw, C, 1]
      const filter = new Float32Array(oihw.length);
      for (let c = 0; c < cin; c++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) filter[(y * kw + z) * cin + c] = oihw[(c * kh + y) * kw + z];
      conv = g.node('DepthwiseConv2dNative', `${name}/conv`, [x.tf, g.constant(`${name}/filter`, [kh, kw, cin, 1], filter)], conv2dAttrs(stride, pads));
    } else {
      if (kh !== 1 || kw !== 1 || stride !== 1 || pads.some((p) => p !== 0))
        throw new Error(`TF.js export: grouped conv ${node.name} is not a 1x1 stride-1 conv`);
      const outPerGroup = cout / groups;
      // [cout, cin/g, 1, 1] -> [g, cin/g, cout/g]
      const kernels = new Float32Array(oihw.length);
      for (let k = 0; k < groups; k++)
        for (let i = 0; i < cinPerGroup; i++)
          for (let j = 0; j < outPerGroup; j++) kernels[(k * cinPerGroup + i) * outPerGroup + j] = oihw[(k * outPerGroup + j) * cinPerGroup + i];
      const transpose = (input: string, suffix: string) =>
        g.node('Transpose', `${name}/${suffix}`, [input, g.ints(`${name}/${suffix}_perm`, [1, 0, 2])], { T: float, Tperm: { type: 'DT_INT32' } });
      const reshape = (input: string, suffix: string, to: number[]) =>
        g.node('Reshape', `${name}/${suffix}`, [input, g.ints(`${name}/${suffix}_shape`, to)], { T: float, Tshape: { type: 'DT_INT32' } });
      const perGroup = transpose(reshape(x.tf, 'split', [-1, groups, cinPerGroup]), 'groups_first');
      const product = g.node('BatchMatMulV2', `${name}/matmul`, [perGroup, g.constant(`${name}/filter`, [groups, cinPerGroup, outPerGroup], kernels)], {
        T: float,
        adj_x: bool(false),
        adj_y: bool(false),
      });
      conv = reshape(transpose(product, 'pixels_first'), 'merge', [-1, shape[2], shape[3], cout]);
    }
    const bias = g.constant(`${name}/bias`, [cout], this.floats(node.inputs[2]));
    return { tf: g.node('BiasAdd', name, [conv, bias], { T: float, data_format: str('NHWC') }), shape };
  }
}

/**
 * The TF GraphDef (JSON) and weights of an ONNX graph from buildOnnxGraph.
 * @returns `modelTopology` for a graph model's model.json, its weights manifest entries and their bytes
 * @throws Error for an ONNX node this translation does not cover (a change in onnx-graph.ts)
 */
export function onnxGraphToTfjs(graph: OnnxGraph): { modelTopology: object; weightSpecs: GraphDefBuilder['weightSpecs']; weightData: Uint8Array } {
  const t = new Translator(graph);
  const [input] = graph.inputs;
  if (input.name !== INPUT_NAME) throw new Error(`TF.js export: the ONNX graph's input is ${input.name}, expected ${INPUT_NAME}`);
  const shape = input.shape.map((d) => (typeof d === 'number' ? d : -1));
  t.define(INPUT_NAME, { tf: t.g.placeholder(TFJS_INPUT_NAME, tfShape(shape)), shape });
  for (const node of graph.nodes) t.translate(node);
  for (const output of graph.outputs) t.value(output.name);
  return {
    modelTopology: { node: t.g.nodes, library: {}, versions: { producer: 1, minConsumer: 0 } },
    weightSpecs: t.g.weightSpecs,
    weightData: t.g.weightsBytes(),
  };
}
