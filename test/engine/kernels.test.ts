/**
 * Every kernel the engine adds to or replaces in the wasm backend must agree with tfjs's reference
 * cpu backend on random inputs: relative error max|wasm - cpu| / max|cpu| below 1e-4.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src-main/engine/data/augment';
import { withSeededRandom } from '../../src-main/engine/train/seeded-init';
import { patchLimit } from '../../src-main/engine/kernels/conv2d-backprop';
import { registerWasmKernels, WASM_KERNEL_NAMES } from '../../src-main/engine/kernels/register-wasm-kernels';

const TOLERANCE = 1e-4;
const SEED = 11;

const random = createRng(12345);
function data(shape: number[]): { values: Float32Array; shape: number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { values: Float32Array.from({ length: n }, () => random() * 2 - 1), shape };
}
const t = (d: { values: Float32Array; shape: number[] }): tf.Tensor => tf.tensor(d.values, d.shape);

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

/** Runs `build` on wasm and on cpu; checks shapes, values, and that wasm leaked nothing. */
async function expectSameOnBothBackends(build: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  await tf.setBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.backend().numDataIds();
  const onWasm = tf.tidy(() => [build()].flat().map((x) => ({ shape: x.shape, values: x.dataSync().slice() })));
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
  await tf.setBackend('cpu');
  const onCpu = tf.tidy(() => [build()].flat().map((x) => ({ shape: x.shape, values: x.dataSync().slice() })));
  expect(onWasm.length).toBe(onCpu.length);
  onWasm.forEach((w, i) => {
    expect(w.shape).toEqual(onCpu[i].shape);
    expect(relativeError(w.values, onCpu[i].values)).toBeLessThan(TOLERANCE);
  });
}

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('wasm kernel registry', () => {
  it('has every added or replaced kernel registered for wasm', () => {
    for (const name of WASM_KERNEL_NAMES) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
  });
});

type Pad = 'same' | 'valid';
interface ConvCase {
  x: number[];
  filter: number[];
  strides: number | [number, number];
  pad: Pad;
}

function convOutShape(c: ConvCase, depthwise: boolean, dilations = 1): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number],
    c.filter as [number, number, number, number],
    c.strides,
    dilations,
    c.pad,
    undefined,
    depthwise,
  );
  return info.outShape;
}

const convCases: ConvCase[] = [
  { x: [2, 9, 9, 5], filter: [3, 3, 5, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 5], filter: [3, 3, 5, 4], strides: 2, pad: 'same' },
  { x: [3, 11, 7, 3], filter: [3, 3, 3, 6], strides: 2, pad: 'valid' },
  { x: [1, 8, 8, 4], filter: [3, 3, 4, 7], strides: 1, pad: 'valid' },
  { x: [2, 10, 6, 3], filter: [5, 3, 3, 4], strides: [2, 1], pad: 'same' },
  { x: [2, 7, 7, 40], filter: [3, 3, 40, 9], strides: 1, pad: 'same' },
  { x: [3, 6, 6, 48], filter: [1, 1, 48, 24], strides: 1, pad: 'same' },
  { x: [2, 5, 7, 33], filter: [1, 1, 33, 61], strides: 1, pad: 'valid' },
  { x: [2, 9, 9, 16], filter: [1, 1, 16, 8], strides: 2, pad: 'same' },
];

const name = (c: ConvCase): string => `x ${c.x} filter ${c.filter} strides ${c.strides} ${c.pad}`;

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  it.each(convCases.map((c) => [name(c), c] as const))('%s', async (_, c) => {
    const x = data(c.x);
    const dy = data(convOutShape(c, false));
    await expectSameOnBothBackends(() =>
      runKernel(tf.Conv2DBackpropFilter, { x: t(x), dy: t(dy) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }),
    );
  });

  it('gives the same result when the patch matrix is built in slices of the batch', async () => {
    const c = convCases[1];
    const x = data([5, ...c.x.slice(1)]);
    const dy = data(convOutShape({ ...c, x: x.shape }, false));
    const saved = patchLimit.bytes;
    patchLimit.bytes = 2 * 5 * 5 * 3 * 3 * 5 * 4;
    try {
      await expectSameOnBothBackends(() =>
        runKernel(tf.Conv2DBackpropFilter, { x: t(x), dy: t(dy) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }),
      );
    } finally {
      patchLimit.bytes = saved;
    }
  });

  it('handles NCHW data', async () => {
    const x = data([2, 5, 9, 9]);
    const dy = data([2, 4, 5, 5]);
    await expectSameOnBothBackends(() =>
      runKernel(tf.Conv2DBackpropFilter, { x: t(x), dy: t(dy) }, { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 5, 4] }),
    );
  });
});

describe('Conv2DBackpropInput on wasm matches cpu', () => {
  it.each(convCases.map((c) => [name(c), c] as const))('%s', async (_, c) => {
    const filter = data(c.filter);
    const dy = data(convOutShape(c, false));
    await expectSameOnBothBackends(() =>
      runKernel(tf.Conv2DBackpropInput, { dy: t(dy), filter: t(filter) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }),
    );
  });

  it('gives the same result when the patch matrix is built in slices of the batch', async () => {
    const c = convCases[0];
    const filter = data(c.filter);
    const dy = data([4, ...convOutShape(c, false).slice(1)]);
    const saved = patchLimit.bytes;
    patchLimit.bytes = 1;
    try {
      await expectSameOnBothBackends(() =>
        runKernel(tf.Conv2DBackpropInput, { dy: t(dy), filter: t(filter) }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [4, ...c.x.slice(1)] }),
      );
    } finally {
      patchLimit.bytes = saved;
    }
  });

  it('handles NCHW data', async () => {
    const filter = data([3, 3, 5, 4]);
    const dy = data([2, 4, 5, 5]);
    await expectSameOnBothBackends(() =>
      runKernel(tf.Conv2DBackpropInput, { dy: t(dy), filter: t(filter) }, { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 5, 9, 9] }),
    );
  });
});

interface DepthwiseCase extends ConvCase {
  dilations: number;
}

const depthwiseCases: DepthwiseCase[] = [
  { x: [2, 9, 9, 6], filter: [3, 3, 6, 1], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 9, 9, 6], filter: [3, 3, 6, 1], strides: 2, pad: 'same', dilations: 1 },
  { x: [3, 8, 11, 5], filter: [3, 3, 5, 1], strides: 2, pad: 'valid', dilations: 1 },
  { x: [2, 7, 7, 4], filter: [3, 3, 4, 2], strides: 1, pad: 'same', dilations: 1 },
  { x: [2, 10, 9, 3], filter: [5, 3, 3, 3], strides: 2, pad: 'same', dilations: 1 },
  { x: [2, 11, 10, 5], filter: [3, 5, 5, 1], strides: [2, 1], pad: 'valid', dilations: 1 },
  { x: [4, 16, 16, 120], filter: [3, 3, 120, 1], strides: 2, pad: 'same', dilations: 1 },
];

const dwName = (c: DepthwiseCase): string => `${name(c)} dilation ${c.dilations} multiplier ${c.filter[3]}`;

describe('DepthwiseConv2dNativeBackpropFilter on wasm matches cpu', () => {
  it.each(depthwiseCases.map((c) => [dwName(c), c] as const))('%s', async (_, c) => {
    const x = data(c.x);
    const dy = data(convOutShape(c, true, c.dilations));
    await expectSameOnBothBackends(() =>
      runKernel(
        tf.DepthwiseConv2dNativeBackpropFilter,
        { x: t(x), dy: t(dy) },
        { strides: c.strides, pad: c.pad, dilations: c.dilations, filterShape: c.filter },
      ),
    );
  });
});

describe('DepthwiseConv2dNativeBackpropInput on wasm matches cpu', () => {
  it.each(depthwiseCases.map((c) => [dwName(c), c] as const))('%s', async (_, c) => {
    const filter = data(c.filter);
    const dy = data(convOutShape(c, true, c.dilations));
    await expectSameOnBothBackends(() =>
      runKernel(
        tf.DepthwiseConv2dNativeBackpropInput,
        { dy: t(dy), filter: t(filter) },
        { strides: c.strides, pad: c.pad, dilations: c.dilations, inputShape: c.x },
      ),
    );
  });
});

interface MatMulCase {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const matMulCases: MatMulCase[] = [
  { a: [61, 37], b: [37, 45], transposeA: false, transposeB: false },
  { a: [37, 61], b: [37, 45], transposeA: true, transposeB: false },
  { a: [300, 40], b: [300, 7], transposeA: true, transposeB: false },
  { a: [61, 37], b: [45, 37], transposeA: false, transposeB: true },
  { a: [7, 37], b: [300, 37], transposeA: false, transposeB: true },
  { a: [37, 61], b: [45, 37], transposeA: true, transposeB: true },
  { a: [3, 29, 31], b: [31, 27], transposeA: false, transposeB: false },
  { a: [3, 31, 29], b: [27, 31], transposeA: true, transposeB: true },
  { a: [29, 31], b: [4, 31, 27], transposeA: false, transposeB: false },
  { a: [31, 29], b: [4, 27, 31], transposeA: true, transposeB: true },
  { a: [3, 29, 31], b: [3, 31, 27], transposeA: false, transposeB: false },
  { a: [3, 31, 29], b: [3, 31, 27], transposeA: true, transposeB: false },
  { a: [1, 3000], b: [3000, 40], transposeA: false, transposeB: false },
  { a: [700, 3], b: [700, 50], transposeA: true, transposeB: false },
  { a: [2, 4, 900], b: [2, 900, 33], transposeA: false, transposeB: false },
  { a: [2, 3, 4], b: [2, 4, 5], transposeA: false, transposeB: false },
  { a: [5, 3], b: [4, 5], transposeA: true, transposeB: true },
];

describe('BatchMatMul on wasm matches cpu', () => {
  it.each(matMulCases.map((c) => [`a ${c.a}${c.transposeA ? 'ᵀ' : ''} b ${c.b}${c.transposeB ? 'ᵀ' : ''}`, c] as const))('%s', async (_, c) => {
    const a = data(c.a);
    const b = data(c.b);
    await expectSameOnBothBackends(() => tf.matMul(t(a), t(b), c.transposeA, c.transposeB));
  });
});

describe('BatchMatMul with few rows on wasm', () => {
  it('sums columns written as ones x X, and weighted sums, like cpu', async () => {
    const x = data([3001, 37]);
    const weights = data([2, 3001]);
    await expectSameOnBothBackends(() => [tf.matMul(tf.ones([1, 3001]), t(x)), tf.matMul(tf.fill([1, 3001], -0.5), t(x)), tf.matMul(t(weights), t(x))]);
  });
});

describe('BatchMatMul broadcasting on wasm', () => {
  it('broadcasts batch dims against each other, [2,1] x [1,3] -> [2,3], like a loop of 2-D products', async () => {
    // tfjs's cpu kernel mishandles this case, so the reference is a loop of 2-D products on cpu.
    const a = data([2, 1, 29, 31]);
    const b = data([1, 3, 31, 27]);
    await tf.setBackend('wasm');
    const result = tf.tidy(() => tf.matMul(t(a), t(b)));
    expect(result.shape).toEqual([2, 3, 29, 27]);
    const actual = result.dataSync().slice();
    result.dispose();
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const as = tf.unstack(t(a).reshape([2, 29, 31]));
      const bs = tf.unstack(t(b).reshape([3, 31, 27]));
      return tf
        .stack(as.map((ai) => tf.stack(bs.map((bj) => tf.matMul(ai, bj)))))
        .dataSync()
        .slice();
    });
    expect(relativeError(actual, expected)).toBeLessThan(TOLERANCE);
  });
});

describe.each([1, 2])('depthwise gradients with dilation 2 on wasm, channel multiplier %i', (multiplier) => {
  // tfjs's cpu depthwise gradient kernels ignore dilations, so the reference is the undilated
  // kernel on cpu with the filter spread out by zeros: a 3x3 filter at dilation 2 is a 5x5 filter.
  const c = { x: [2, 12, 11, 7], strides: 1, pad: 'valid' as const };
  const outChannels = 7 * multiplier;
  const tap = (ky: number, kx: number, size: number): number => (ky * size + kx) * outChannels;
  const spread = (f: Float32Array): Float32Array => {
    const out = new Float32Array(5 * 5 * outChannels);
    for (let ky = 0; ky < 3; ky++) {
      for (let kx = 0; kx < 3; kx++) out.set(f.subarray(tap(ky, kx, 3), tap(ky, kx, 3) + outChannels), tap(2 * ky, 2 * kx, 5));
    }
    return out;
  };
  const dyShape = convOutShape({ ...c, filter: [5, 5, 7, multiplier] }, true);

  it('DepthwiseConv2dNativeBackpropInput', async () => {
    const filter = data([3, 3, 7, multiplier]);
    const dy = data(dyShape);
    await tf.setBackend('wasm');
    const actual = tf.tidy(() =>
      runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: t(dy), filter: t(filter) }, { ...c, dilations: 2, inputShape: c.x })
        .dataSync()
        .slice(),
    );
    await tf.setBackend('cpu');
    const wide = { values: spread(filter.values), shape: [5, 5, 7, multiplier] };
    const expected = tf.tidy(() =>
      runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: t(dy), filter: t(wide) }, { ...c, dilations: 1, inputShape: c.x })
        .dataSync()
        .slice(),
    );
    expect(relativeError(actual, expected)).toBeLessThan(TOLERANCE);
  });

  it('DepthwiseConv2dNativeBackpropFilter', async () => {
    const x = data(c.x);
    const dy = data(dyShape);
    await tf.setBackend('wasm');
    const actual = tf.tidy(() =>
      runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: t(x), dy: t(dy) }, { ...c, dilations: 2, filterShape: [3, 3, 7, multiplier] })
        .dataSync()
        .slice(),
    );
    await tf.setBackend('cpu');
    const wide = tf.tidy(() =>
      runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: t(x), dy: t(dy) }, { ...c, dilations: 1, filterShape: [5, 5, 7, multiplier] })
        .dataSync()
        .slice(),
    );
    const expected = new Float32Array(3 * 3 * outChannels);
    for (let ky = 0; ky < 3; ky++) {
      for (let kx = 0; kx < 3; kx++) expected.set(wide.subarray(tap(2 * ky, 2 * kx, 5), tap(2 * ky, 2 * kx, 5) + outChannels), tap(ky, kx, 3));
    }
    expect(relativeError(actual, expected)).toBeLessThan(TOLERANCE);
  });
});

describe('AvgPoolGrad on wasm matches cpu', () => {
  const cases = [
    { x: [2, 16, 16, 5], filterSize: 3, strides: 2, pad: 'same' as const },
    { x: [3, 9, 7, 4], filterSize: 3, strides: 2, pad: 'same' as const },
    { x: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' as const },
    { x: [1, 7, 9, 6], filterSize: 3, strides: 1, pad: 'same' as const },
    { x: [2, 11, 10, 2], filterSize: [3, 2] as [number, number], strides: [2, 3] as [number, number], pad: 'valid' as const },
  ];
  it.each(cases.map((c) => [`x ${c.x} window ${c.filterSize} strides ${c.strides} ${c.pad}`, c] as const))('%s', async (_, c) => {
    const x = data(c.x);
    const out = tf.backend_util.computePool2DInfo(c.x as [number, number, number, number], c.filterSize, c.strides, 1, c.pad).outShape;
    const dy = data(out);
    await expectSameOnBothBackends(() => runKernel(tf.AvgPoolGrad, { dy: t(dy), input: t(x) }, { filterSize: c.filterSize, strides: c.strides, pad: c.pad }));
  });
});

describe('MaxPoolGrad on wasm matches cpu', () => {
  const cases = [
    { x: [2, 16, 16, 5], filterSize: 3, strides: 2, pad: 'same' as const, ties: false },
    { x: [3, 9, 7, 4], filterSize: 3, strides: 2, pad: 'same' as const, ties: false },
    { x: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' as const, ties: false },
    { x: [2, 11, 10, 2], filterSize: [3, 2] as [number, number], strides: [2, 3] as [number, number], pad: 'valid' as const, ties: false },
    { x: [2, 9, 9, 6], filterSize: 3, strides: 1, pad: 'same' as const, ties: true },
  ];
  it.each(cases.map((c) => [`x ${c.x} window ${c.filterSize} strides ${c.strides} ${c.pad}${c.ties ? ' with ties' : ''}`, c] as const))('%s', async (_, c) => {
    const x = data(c.x);
    // Values from {-1, 0, 1} make most windows hold several equal maxima.
    if (c.ties) x.values.forEach((v, i) => (x.values[i] = Math.round(v)));
    const out = tf.backend_util.computePool2DInfo(c.x as [number, number, number, number], c.filterSize, c.strides, 1, c.pad).outShape;
    const dy = data(out);
    await expectSameOnBothBackends(() => {
      const input = t(x);
      const output = tf.maxPool(input as tf.Tensor4D, c.filterSize, c.strides, c.pad);
      return runKernel(tf.MaxPoolGrad, { dy: t(dy), input, output }, { filterSize: c.filterSize, strides: c.strides, pad: c.pad });
    });
  });
});

describe('Identity and Cast on wasm share data and match cpu', () => {
  it('clones and casts like cpu without leaking', async () => {
    const a = data([7, 5, 3]);
    await expectSameOnBothBackends(() => [
      tf.clone(t(a)),
      tf.cast(t(a), 'float32'),
      tf.cast(tf.mul(t(a), 10), 'int32'),
      tf.cast(tf.tensor1d([-3.7, -0.5, 0, 0.5, 2.2]), 'bool'),
      tf.cast(tf.tensor1d([-3, 0, 2], 'int32'), 'bool'),
    ]);
  });

  it('keeps a clone readable after the original is disposed, and frees the data after both', async () => {
    await tf.setBackend('wasm');
    const dataIds = tf.backend().numDataIds();
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    const z = tf.cast(y, 'float32');
    expect(tf.backend().numDataIds()).toBe(dataIds + 1);
    x.dispose();
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3]);
    z.dispose();
    expect(tf.backend().numDataIds()).toBe(dataIds);
  });
});

describe('tf.batchNorm gradient', () => {
  // The reference differentiates the batch-norm formula written with primitive ops on cpu, so it
  // does not use the FusedBatchNorm gradient this project registers.
  const epsilon = 1e-3;
  // Without scale or offset tf.batchNorm cannot be differentiated in tfjs-core 4.22 on any backend
  // (the engine saves and traces the absent input), so every case passes both.
  const cases = [
    { name: 'per-channel statistics [C]', stats: [6] },
    { name: 'statistics shaped [1, 1, 1, C]', stats: [1, 1, 1, 6] },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const x = data([4, 5, 3, 6]);
    const mean = data(c.stats);
    const variance = { values: data(c.stats).values.map((v) => v * v + 0.1), shape: c.stats };
    const offset = data(c.stats);
    const scale = data(c.stats);
    const weights = data([4, 5, 3, 6]);
    type Fn = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o?: tf.Tensor, s?: tf.Tensor) => tf.Tensor;
    const fused: Fn = (xt, m, v, o, s) => tf.batchNorm(xt, m, v, o, s, epsilon);
    const primitive: Fn = (xt, m, v, o, s) => {
      let y = tf.mul(tf.sub(xt, m), tf.rsqrt(tf.add(v, epsilon)));
      if (s) y = tf.mul(y, s);
      return o ? tf.add(y, o) : y;
    };
    const grads = (f: Fn): ArrayLike<number>[] =>
      tf.tidy(() => {
        const loss = (...ts: tf.Tensor[]): tf.Tensor => tf.sum(tf.mul(f(ts[0], ts[1], ts[2], ts[3], ts[4]), t(weights)));
        return tf
          .grads(loss)([x, mean, variance, offset, scale].map(t))
          .map((g) => g.dataSync().slice());
      });
    await tf.setBackend('wasm');
    const onWasm = grads(fused);
    await tf.setBackend('cpu');
    const reference = grads(primitive);
    expect(onWasm.length).toBe(5);
    onWasm.forEach((g, i) => expect(relativeError(g, reference[i])).toBeLessThan(TOLERANCE));
  });

  it('gives the full batch-norm gradient when the statistics are the moments of x', async () => {
    const x = data([4, 5, 3, 6]);
    const weights = data([4, 5, 3, 6]);
    const grad = (fusedOp: boolean): ArrayLike<number> =>
      tf.tidy(() =>
        tf
          .grad((xt: tf.Tensor) => {
            const { mean, variance } = tf.moments(xt, [0, 1, 2]);
            const scale = tf.fill([6], 1.5);
            const offset = tf.fill([6], 0.25);
            const y = fusedOp
              ? tf.batchNorm(xt, mean, variance, offset, scale, epsilon)
              : tf.add(tf.mul(tf.mul(tf.sub(xt, mean), tf.rsqrt(tf.add(variance, epsilon))), scale), offset);
            return tf.sum(tf.mul(y, t(weights)));
          })(t(x))
          .dataSync()
          .slice(),
      );
    await tf.setBackend('wasm');
    const onWasm = grad(true);
    await tf.setBackend('cpu');
    expect(relativeError(onWasm, grad(false))).toBeLessThan(TOLERANCE);
  });
});

describe('training gradients on wasm match cpu', () => {
  it('gives the same gradients for a small conv net with batch norm, depthwise, 1x1 and dense layers', async () => {
    await tf.setBackend('wasm');
    const model = withSeededRandom(SEED, () => {
      const input = tf.input({ shape: [12, 12, 3] });
      let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
      h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
      h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
      h = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
      // Without this ReLU the next batch norm would cancel beta's gradient to rounding noise.
      h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
      h = tf.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
      h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
      h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
      const logits = tf.layers.dense({ units: 5 }).apply(h) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: logits });
    });
    const x = data([6, 12, 12, 3]);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32'), 5);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);

    const gradients = (): tf.Tensor[] => {
      const { value, grads } = tf.variableGrads(() => {
        const out = model.apply(t(x), { training: true }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(labels, out) as tf.Scalar;
      }, vars);
      // One vector of every gradient, compared as a whole: a batch norm followed by another has a
      // gamma gradient that nearly cancels (scale invariance), so its own max is rounding noise
      // and a per-tensor relative error of it measures nothing (1.7e-4 on a 1e-8-sized value).
      return [value, tf.concat(vars.map((v) => grads[v.name].flatten()))];
    };
    await expectSameOnBothBackends(gradients);
    model.dispose();
    labels.dispose();
  });
});
