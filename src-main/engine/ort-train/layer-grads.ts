/**
 * ShuffleNet's layers as ONNX nodes (NCHW) with their gradients, for the training graph: one
 * function per layer kind of model/plan.ts, under the kind's name. Weights
 * enter and gradients leave in the tfjs model's layouts (conv kernels `[kh, kw, in, out]`), so the
 * trainer moves plain arrays between the two runtimes; the transposes run inside the graph.
 *
 * Kernel gradients of the 3x3 convs are convolutions too (kernelGradConv), so the heavy work of
 * every gradient runs in ONNX Runtime's conv and GEMM kernels.
 */
import type { GradGraph } from './graph-builder';

/** An NCHW activation with its channel count and square spatial size, both fixed when the graph is built. */
export interface Act {
  value: string;
  channels: number;
  size: number;
}

const SPATIAL = [2, 3];
const NCHW_REDUCE = [0, 2, 3];
/** Slice bound that reaches past the start of any axis when stepping backwards. */
const BEFORE_START = -(2 ** 52);

/**
 * The input gradient of a depthwise 3x3 conv with one pixel of zero padding on each side: the
 * transposed conv with the same kernel `[c, 1, 3, 3]`. For stride 1 this is a plain depthwise
 * conv with the kernel flipped, which ONNX Runtime runs faster than its ConvTranspose.
 * @param extra 0 or 1: the input row (and column) past the last stride-2 window, for odd sizes
 */
function convInputGrad(g: GradGraph, dy: string, w: string, c: number, stride: number, extra: number): string {
  if (stride === 1) {
    const flipped = g.op('Slice', [w, g.ints([-1, -1]), g.ints([BEFORE_START, BEFORE_START]), g.ints(SPATIAL), g.ints([-1, -1])]);
    return g.op('Conv', [dy, flipped], { group: c, kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, 'dw_dx');
  }
  const attributes = { group: c, kernel_shape: [3, 3], strides: [stride, stride], pads: [1, 1, 1, 1], output_padding: [extra, extra] };
  return g.op('ConvTranspose', [dy, w], attributes, 'dw_dx');
}

/**
 * Kernel gradients of a 3x3 conv with stride `stride` and pads `[pb, pe]`, as one more convolution
 * whose kernel is the output gradient, dilated by the stride.
 * - Dense (the stem): the input `[n, c, h, h]` becomes `[c, n, h, h]` and the output gradient
 *   `[n, o, out, out]` the kernel `[o, n, out, out]`, so the conv sums over the batch: `[c, o, 3, 3]`.
 * - Depthwise: `[c, 9]`. With a fixed batch, every (image, channel) plane is its own group,
 *   `[1, n * c, h, h]` against `[n * c, 1, out, out]` (no transposes), then a sum over the batch;
 *   else the transposed form above with `c` groups.
 */
function kernelGradConv(g: GradGraph, x: Act, dy: string, stride: number, pads: [number, number], outSize: number, depthwise: boolean): string {
  // Taps reach stride * (out - 1) + 2 - pb at most; pad only as far as that.
  const padEnd = stride * (outSize - 1) + 2 - pads[0] - (x.size - 1);
  const attributes = (groups: number) => ({
    group: groups,
    kernel_shape: [outSize, outSize],
    dilations: [stride, stride],
    pads: [pads[0], pads[0], padEnd, padEnd],
  });
  if (depthwise && g.batch !== null) {
    const planes = g.batch * x.channels;
    const perPlane = g.op(
      'Conv',
      [g.reshape(x.value, [1, planes, x.size, x.size]), g.reshape(dy, [planes, 1, outSize, outSize])],
      attributes(planes),
      'kernel_grad',
    );
    return g.op('ReduceSum', [g.reshape(perPlane, [g.batch, x.channels, 9]), g.ints([0])], { keepdims: 0 });
  }
  const swapped = g.transpose(x.value, [1, 0, 2, 3]);
  const input = depthwise ? g.reshape(swapped, [1, -1, x.size, x.size]) : swapped;
  const out = g.op('Conv', [input, g.transpose(dy, [1, 0, 2, 3])], attributes(depthwise ? x.channels : 1), 'kernel_grad');
  return depthwise ? g.reshape(out, [x.channels, 9]) : out;
}

/**
 * The stem: a dense 3x3 conv of `kernel` `[3, 3, 3, cout]` with tfjs 'same' pads. Only its kernel
 * gets a gradient (the image needs none).
 */
export function stemConv(g: GradGraph, x: Act, kernel: string, cout: number, stride: number, pads: [number, number]): Act {
  const w = g.transpose(kernel, [3, 2, 0, 1]);
  const [pb, pe] = pads;
  const y = g.op('Conv', [x.value, w], { kernel_shape: [3, 3], strides: [stride, stride], pads: [pb, pb, pe, pe] }, 'stem_conv');
  const outSize = Math.ceil(x.size / stride);
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    // [in, cout, kh, kw] -> [kh, kw, in, cout]
    g.addGrad(kernel, g.transpose(kernelGradConv(g, x, dy, stride, pads, outSize, false), [2, 3, 0, 1]));
  });
  return { value: y, channels: cout, size: outSize };
}

/**
 * The kernel gradient of a grouped 1x1 conv, `[groups, co, ci]`: per group dY `[co, pixels]` times
 * X^T `[pixels, ci]`, summed over the batch. Where images are large and channels few, one small
 * GEMM per image (X^T folded into the GEMM, no copy) and a sum over the batch; else both operands
 * are first regrouped to `[groups, channels, batch * pixels]` for one GEMM per group.
 */
function pointwiseKernelGrad(g: GradGraph, x: Act, dy: string, groups: number, co: number): string {
  const ci = x.channels / groups;
  const pixels = x.size * x.size;
  if (co * ci < pixels * (co + ci)) {
    const perImage = g.op(
      'MatMul',
      [g.reshape(dy, [0, groups, co, pixels]), g.transpose(g.reshape(x.value, [0, groups, ci, pixels]), [0, 1, 3, 2])],
      undefined,
      'pw_dw',
    );
    return g.op('ReduceSum', [perImage, g.ints([0])], { keepdims: 0 });
  }
  const regroup = (v: string, channels: number) => g.reshape(g.transpose(g.reshape(v, [0, groups, channels, pixels]), [1, 2, 0, 3]), [groups, channels, -1]);
  return g.op('MatMul', [regroup(dy, co), g.transpose(regroup(x.value, ci), [0, 2, 1])], undefined, 'pw_dw');
}

/** Grouped 1x1 conv of `kernel` `[1, 1, cin / groups, cout]` (the tfjs PointwiseConv layer). */
export function pointwiseConv(g: GradGraph, x: Act, kernel: string, cout: number, groups: number): Act {
  const cin = x.channels;
  const ci = cin / groups;
  const co = cout / groups;
  const w = g.transpose(kernel, [3, 2, 0, 1]);
  const y = g.op('Conv', [x.value, w], { group: groups, kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }, 'pw_conv');
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    g.addGrad(kernel, g.reshape(g.transpose(pointwiseKernelGrad(g, x, dy, groups, co), [2, 0, 1]), [1, 1, ci, cout]));
    // dX = a grouped 1x1 conv with each group's kernel transposed: [cin, co, 1, 1].
    const wt = g.reshape(g.transpose(g.reshape(kernel, [ci, groups, co]), [1, 0, 2]), [cin, co, 1, 1]);
    g.addGrad(x.value, g.op('Conv', [dy, wt], { group: groups, kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }, 'pw_dx'));
  });
  return { value: y, channels: cout, size: x.size };
}

/** 3x3 depthwise conv of `kernel` `[3, 3, c, 1]` with one pixel of zeros on every side. */
export function depthwiseConv(g: GradGraph, x: Act, kernel: string, stride: 1 | 2): Act {
  const c = x.channels;
  const w = g.transpose(kernel, [2, 3, 0, 1]);
  const attributes = { group: c, kernel_shape: [3, 3], strides: [stride, stride], pads: [1, 1, 1, 1] };
  const y = g.op('Conv', [x.value, w], attributes, 'dw_conv');
  const outSize = Math.ceil(x.size / stride);
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    const dw = kernelGradConv(g, x, dy, stride, [1, 1], outSize, true);
    g.addGrad(kernel, g.reshape(g.transpose(dw, [1, 0]), [3, 3, c, 1]));
    g.addGrad(x.value, convInputGrad(g, dy, w, c, stride, x.size - stride * outSize + 1));
  });
  return { value: y, channels: c, size: outSize };
}

/** 3x3 stride-2 average pool over one pixel of zeros on every side, dividing by 9 everywhere. */
export function avgPool(g: GradGraph, x: Act): Act {
  const y = g.op('AveragePool', [x.value], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 });
  const outSize = Math.ceil(x.size / 2);
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    const averaging = g.filled(1 / 9, x.channels * 9);
    g.addGrad(x.value, convInputGrad(g, dy, g.reshape(averaging, [x.channels, 1, 3, 3]), x.channels, 2, x.size - 2 * outSize + 1));
  });
  return { value: y, channels: x.channels, size: outSize };
}

/** 3x3 stride-2 max pool with tfjs 'same' pads; the gradient goes to each window's arg-max. */
export function maxPool(g: GradGraph, x: Act, pads: [number, number]): Act {
  const [pb, pe] = pads;
  const [y, indices] = g.opN('MaxPool', [x.value], 2, { kernel_shape: [3, 3], strides: [2, 2], pads: [pb, pb, pe, pe] });
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    const shape = g.op('Shape', [x.value]);
    const zeros = g.reshape(g.op('ConstantOfShape', [shape]), [-1]);
    const flat = g.op('ScatterElements', [zeros, g.reshape(indices, [-1]), g.reshape(dy, [-1])], { axis: 0, reduction: 'add' }, 'maxpool_dx');
    g.addGrad(x.value, g.op('Reshape', [flat, shape]));
  });
  return { value: y, channels: x.channels, size: Math.ceil(x.size / 2) };
}

/**
 * Training-mode batch norm over the batch and both spatial axes, with `gamma`/`beta` `[c]`. The
 * batch mean and (biased) variance leave the graph as outputs for the moving averages.
 *
 * Memory traffic, not arithmetic, is what costs here, so the normalised input is never stored:
 * the statistics come from two reductions, the output from one BatchNormalization pass, and the input gradient, which is per channel A * dy + B * x + C, from
 * one more BatchNormalization pass (scale B, bias C, unit variance) plus a Mul and an Add.
 * @param invBatch graph input `[1]` holding 1 / batch, for the means over batch and pixels
 */
export function batchNorm(g: GradGraph, x: Act, gamma: string, beta: string, epsilon: number, invBatch: string): { y: Act; mean: string; variance: string } {
  const c = x.channels;
  const perChannel = (v: string) => g.reshape(v, [c]);
  const invCount = g.op('Mul', [invBatch, g.scalar(1 / (x.size * x.size))]);
  const mean = g.op('ReduceMean', [x.value], { axes: NCHW_REDUCE, keepdims: 1 });
  // Two passes (centre, then sum of squares), not E[x^2] - mean^2: with a few images at a small
  // size, a channel whose spread is tiny next to its mean lost most of its variance's digits.
  const centered = g.op('Sub', [x.value, mean]);
  const variance = g.op('Mul', [g.op('ReduceSumSquare', [centered], { axes: NCHW_REDUCE, keepdims: 1 }), invCount]);
  const y = g.op('BatchNormalization', [x.value, gamma, beta, perChannel(mean), perChannel(variance)], { epsilon: { float: epsilon } }, 'bn_y');
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    const invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar(epsilon)])])]);
    const dBeta = g.op('ReduceSum', [dy, g.ints(NCHW_REDUCE)], { keepdims: 1 });
    const dyDotX = g.op('ReduceSum', [g.op('Mul', [dy, x.value]), g.ints(NCHW_REDUCE)], { keepdims: 1 });
    // sum(dy * xhat) = (sum(dy * x) - mean * sum(dy)) / std
    const dGamma = g.op('Mul', [g.op('Sub', [dyDotX, g.op('Mul', [mean, dBeta])]), invStd]);
    g.addGrad(gamma, perChannel(dGamma));
    g.addGrad(beta, perChannel(dBeta));
    // dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)), k = gamma / std, xhat = (x - mean) / std
    //    = k * dy + B * x + C with B = -k * mean(dy * xhat) / std, C = -B * mean - k * mean(dy).
    const k = g.op('Mul', [g.reshape(gamma, [1, c, 1, 1]), invStd]);
    const b = g.op('Neg', [g.op('Mul', [g.op('Mul', [k, g.op('Mul', [dGamma, invCount])]), invStd])]);
    const shift = g.op('Neg', [g.op('Add', [g.op('Mul', [b, mean]), g.op('Mul', [k, g.op('Mul', [dBeta, invCount])])])]);
    const linear = g.op('BatchNormalization', [x.value, perChannel(b), perChannel(shift), g.filled(0, c), g.filled(1, c)], { epsilon: { float: 0 } }, 'bn_dx');
    g.addGrad(x.value, g.op('Add', [g.op('Mul', [dy, k]), linear], undefined, 'bn_dx'));
  });
  return { y: { ...x, value: y }, mean: perChannel(mean), variance: perChannel(variance) };
}

/**
 * Inference-mode batch norm with constant moving statistics `[c]` each, and no gradient: the frozen
 * backbone of a head-only phase (step/fine-tune.ts) normalises as the model predicts.
 */
export function frozenBatchNorm(
  g: GradGraph,
  x: Act,
  gamma: string,
  beta: string,
  stats: { mean: Float32Array; variance: Float32Array },
  epsilon: number,
): Act {
  const mean = g.floats(stats.mean, 'moving_mean');
  const variance = g.floats(stats.variance, 'moving_variance');
  return { ...x, value: g.op('BatchNormalization', [x.value, gamma, beta, mean, variance], { epsilon: { float: epsilon } }, 'bn_frozen') };
}

export function relu(g: GradGraph, x: Act): Act {
  const y = g.op('Relu', [x.value]);
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    g.addGrad(x.value, g.op('Mul', [dy, g.op('Cast', [g.op('Greater', [y, g.scalar(0)])], { to: 1 })], undefined, 'relu_dx'));
  });
  return { ...x, value: y };
}

/** NCHW channel shuffle `[n, g, c/g, h, w]` -> swap axes 1, 2 (as the ChannelShuffle layer); its gradient is the inverse swap. */
export function channelShuffle(g: GradGraph, x: Act, groups: number): Act {
  const { channels: c, size } = x;
  const swap = (v: string, first: number) => g.reshape(g.transpose(g.reshape(v, [0, first, c / first, size, size]), [0, 2, 1, 3, 4]), [0, c, size, size]);
  const y = swap(x.value, groups);
  g.onBackward(() => {
    const dy = g.grad(y);
    if (dy) g.addGrad(x.value, swap(dy, c / groups));
  });
  return { ...x, value: y };
}

export function add(g: GradGraph, a: Act, b: Act): Act {
  const y = g.op('Add', [a.value, b.value]);
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    g.addGrad(a.value, dy);
    g.addGrad(b.value, dy);
  });
  return { ...a, value: y };
}

/** Channel concatenation `[a, b]`. */
export function concat(g: GradGraph, a: Act, b: Act): Act {
  const y = g.op('Concat', [a.value, b.value], { axis: 1 });
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    const [da, db] = g.opN('Split', [dy, g.ints([a.channels, b.channels])], 2, { axis: 1 });
    g.addGrad(a.value, da);
    g.addGrad(b.value, db);
  });
  return { value: y, channels: a.channels + b.channels, size: a.size };
}

/** Global average pool to `[n, c]` (already flattened: `size` 1 and no spatial axes). */
export function globalPool(g: GradGraph, x: Act): Act {
  const y = g.op('Flatten', [g.op('GlobalAveragePool', [x.value])], { axis: 1 });
  g.onBackward(() => {
    const dy = g.grad(y);
    if (!dy) return;
    const spread = g.op('Mul', [g.reshape(dy, [0, x.channels, 1, 1]), g.scalar(1 / (x.size * x.size))]);
    g.addGrad(x.value, g.op('Expand', [spread, g.op('Shape', [x.value])], undefined, 'gap_dx'));
  });
  return { value: y, channels: x.channels, size: 1 };
}

/**
 * Dense layer `p [n, in] x kernel [in, out] + bias [out]`.
 * @param inputGrad false where nothing below needs a gradient (a frozen backbone): the backward pass stops here
 */
export function dense(g: GradGraph, p: Act, kernel: string, bias: string, cout: number, inputGrad = true): Act {
  const z = g.op('Add', [g.op('MatMul', [p.value, kernel]), bias], undefined, 'logits');
  g.onBackward(() => {
    const dz = g.grad(z);
    if (!dz) return;
    g.addGrad(kernel, g.op('MatMul', [g.transpose(p.value, [1, 0]), dz]));
    g.addGrad(bias, g.op('ReduceSum', [dz, g.ints([0])], { keepdims: 0 }));
    if (inputGrad) g.addGrad(p.value, g.op('MatMul', [dz, g.transpose(kernel, [1, 0])]));
  });
  return { value: z, channels: cout, size: 1 };
}
