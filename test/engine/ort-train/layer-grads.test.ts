import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnxModel } from '../../../src-main/engine/onnx/onnx-proto';
import { ChannelShuffle } from '../../../src-main/engine/model/layers';
import { GradGraph, TRAINING_OPSET } from '../../../src-main/engine/ort-train/graph-builder';
import * as L from '../../../src-main/engine/ort-train/layer-grads';
import { createOnnxSession, onnxRuntimeStatus, runOnnxNamed } from '../../../src-main/engine/onnx/onnx-runtime';

const onnx = onnxRuntimeStatus();
if (!onnx.available) console.warn(`Skipping the ONNX layer gradient tests: ${onnx.reason}`);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

interface LayerCase {
  /** The layer under test on `x` (NCHW), with its weight inputs already declared. */
  build: (g: GradGraph, x: L.Act, weights: string[]) => L.Act;
  /** The same layer in tfjs on `x` (NHWC) with the weights in tfjs layouts. */
  reference: (x: tf.Tensor4D, weights: tf.Tensor[]) => tf.Tensor4D;
  weightShapes: number[][];
}

/**
 * Runs one layer forward and backward in ONNX Runtime with the loss sum(y * r) for a random r,
 * and returns the relative errors against tfjs cpu of the input's gradient (when the layer gives
 * one) and every weight's.
 */
async function compare(c: LayerCase, batch: number, channels: number, size: number, fixedBatch = false): Promise<{ name: string; error: number }[]> {
  const g = new GradGraph(fixedBatch ? batch : null);
  const xName = g.input('x', [batch, channels, size, size]);
  const weights = c.weightShapes.map((shape, i) => g.input(`w${i}`, shape));
  const y = c.build(g, { value: xName, channels, size }, weights);
  const r = g.input('r', [batch, y.channels, y.size, y.size]);
  g.addGrad(y.value, r);
  g.backward();
  const dx = g.grad(xName);
  if (dx) g.output('dx', dx, [batch, channels, size, size]);
  weights.forEach((w, i) => g.output(`dw${i}`, g.grad(w)!, c.weightShapes[i]));
  const model = { producerName: 'test', producerVersion: '1', docString: '', graphName: 'layer', metadata: {}, opset: TRAINING_OPSET, ...g };
  const session = await createOnnxSession(encodeOnnxModel(model), { threads: 2 });

  const x = tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ws = c.weightShapes.map((shape, i) => tf.randomNormal(shape, 1, 0.5, 'float32', 2 + i));
  const ySize = (c.reference(x, ws) as tf.Tensor4D).shape;
  const rt = tf.randomNormal(ySize, 0, 1, 'float32', 9) as tf.Tensor4D;
  const grads = tf.grads((...args: tf.Tensor[]) =>
    c
      .reference(args[0] as tf.Tensor4D, args.slice(1))
      .mul(rt)
      .sum(),
  )([x, ...ws]);

  const nchw = (t: tf.Tensor) => tf.tidy(() => t.transpose([0, 3, 1, 2]).dataSync() as Float32Array);
  const feeds: Parameters<typeof runOnnxNamed>[1] = {
    x: { data: nchw(x), dims: [batch, channels, size, size] },
    r: { data: nchw(rt), dims: [batch, ySize[3], ySize[1], ySize[2]] },
  };
  ws.forEach((w, i) => (feeds[`w${i}`] = { data: w.dataSync() as Float32Array, dims: c.weightShapes[i] }));
  const out = await runOnnxNamed(session, feeds);
  await session.release();
  const errors = dx ? [{ name: 'dx', error: relativeError(out.dx, nchw(grads[0])) }] : [];
  ws.forEach((_, i) => errors.push({ name: `dw${i}`, error: relativeError(out[`dw${i}`], grads[i + 1].dataSync()) }));
  tf.dispose([x, rt, ...ws, ...grads]);
  return errors;
}

const padOne = (x: tf.Tensor4D) =>
  tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);

describe.skipIf(!onnx.available)('ONNX layer gradients against tfjs cpu', () => {
  // Even and odd sizes: an odd input leaves one row and column past the last stride-2 window.
  const sizes = [5, 8, 9];

  const depthwiseCases = sizes.flatMap((size) => [1, 2].flatMap((stride) => [false, true].map((fixed) => ({ size, stride, fixed }))));
  it.each(depthwiseCases)('3x3 depthwise conv, stride $stride, $size px, fixed batch $fixed', async ({ size, stride, fixed }) => {
    const errors = await compare(
      {
        build: (g, x, [w]) => L.depthwiseConv(g, x, w, stride as 1 | 2),
        reference: (x, [w]) => tf.depthwiseConv2d(padOne(x), w as tf.Tensor4D, stride as 1 | 2, 'valid'),
        weightShapes: [[3, 3, 6, 1]],
      },
      3,
      6,
      size,
      fixed,
    );
    for (const { name, error } of errors) expect(error, name).toBeLessThan(1e-5);
  });

  it.each(sizes)('3x3 stride-2 average pool over one pixel of zeros, %i px', async (size) => {
    const errors = await compare({ build: (g, x) => L.avgPool(g, x), reference: (x) => tf.avgPool(padOne(x), 3, 2, 'valid'), weightShapes: [] }, 2, 5, size);
    expect(errors[0].error).toBeLessThan(1e-5);
  });

  it.each(sizes)('3x3 stride-2 max pool with same padding, %i px', async (size) => {
    const pads = (s: number): [number, number] => {
      const total = Math.max((Math.ceil(s / 2) - 1) * 2 + 3 - s, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    const errors = await compare({ build: (g, x) => L.maxPool(g, x, pads(size)), reference: (x) => tf.maxPool(x, 3, 2, 'same'), weightShapes: [] }, 2, 4, size);
    expect(errors[0].error).toBeLessThan(1e-5);
  });

  it.each([
    { groups: 1, cout: 6 },
    { groups: 3, cout: 9 },
  ])('grouped 1x1 conv, groups $groups', async ({ groups, cout }) => {
    for (const size of [2, 8]) {
      const errors = await compare(
        {
          build: (g, x, [w]) => L.pointwiseConv(g, x, w, cout, groups),
          reference: (x, [w]) => {
            // tf.split with one part returns none.
            if (groups === 1) return tf.conv2d(x, w as tf.Tensor4D, 1, 'valid') as tf.Tensor4D;
            const kernels = tf.split(w as tf.Tensor4D, groups, 3) as tf.Tensor4D[];
            const parts = (tf.split(x, groups, 3) as tf.Tensor4D[]).map((part, i) => tf.conv2d(part, kernels[i], 1, 'valid'));
            return tf.concat(parts, 3);
          },
          weightShapes: [[1, 1, 6 / groups, cout]],
        },
        3,
        6,
        size,
      );
      for (const { name, error } of errors) expect(error, `${name} at ${size} px`).toBeLessThan(1e-5);
    }
  });

  it.each([2, 7])('training-mode batch norm (statistics over batch and pixels), %i px', async (size) => {
    const errors = await compare(
      {
        build: (g, x, [gamma, beta]) => L.batchNorm(g, x, gamma, beta, 1e-5, g.scalar(1 / 4)).y,
        reference: (x, [gamma, beta]) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(gamma).add(beta);
        },
        weightShapes: [[5], [5]],
      },
      4,
      5,
      size,
    );
    for (const { name, error } of errors) expect(error, name).toBeLessThan(1e-5);
  });

  it('ReLU and the channel shuffle', async () => {
    const errors = await compare(
      {
        build: (g, x) => L.channelShuffle(g, L.relu(g, x), 3),
        reference: (x) => new ChannelShuffle({ groups: 3 }).apply(tf.relu(x)) as tf.Tensor4D,
        weightShapes: [],
      },
      2,
      6,
      4,
    );
    expect(errors[0].error).toBeLessThan(1e-6);
  });

  it.each([
    { size: 8, stride: 1 },
    { size: 9, stride: 2 },
  ])('dense 3x3 stem conv kernel gradient, stride $stride, $size px', async ({ size, stride }) => {
    const pads = (s: number): [number, number] => {
      const total = Math.max((Math.ceil(s / stride) - 1) * stride + 3 - s, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    const errors = await compare(
      {
        build: (g, x, [w]) => L.stemConv(g, x, w, 5, stride, pads(size)),
        reference: (x, [w]) => tf.conv2d(x, w as tf.Tensor4D, stride as 1 | 2, 'same'),
        weightShapes: [[3, 3, 3, 5]],
      },
      2,
      3,
      size,
    );
    expect(errors.map((e) => e.name)).toEqual(['dw0']);
    expect(errors[0].error).toBeLessThan(1e-5);
  });
});
