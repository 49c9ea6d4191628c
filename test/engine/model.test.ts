import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend';
import { UserError } from '../../src-main/engine/errors';
import { loadModelFromDir, saveModelToDir } from '../../src-main/engine/model/file-io';
import { BatchNorm2d, ChannelShuffle, PointwiseConv } from '../../src-main/engine/model/layers';
import { buildShuffleNetV1 } from '../../src-main/engine/model/shufflenet';
import { withSeededRandom } from '../../src-main/engine/train/seeded-init';
import type { Groups, ModelConfig, Scale } from '../../src-main/engine/types';

let tmp: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await mkdtemp(path.join(tmpdir(), 'shufflenet-model-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const small = (over: Partial<ModelConfig> = {}): ModelConfig => ({
  scale: 0.25,
  groups: 3,
  numClasses: 10,
  stem: 'cifar',
  inputSize: 32,
  ...over,
});

/** Dense `[1, 1, cin, cout]` kernel that is zero outside the group blocks of a grouped kernel. */
function blockDiagonal(grouped: Float32Array, cin: number, cout: number, groups: number): tf.Tensor4D {
  const cinG = cin / groups;
  const coutG = cout / groups;
  const full = new Float32Array(cin * cout);
  for (let i = 0; i < cin; i++) {
    const g = Math.floor(i / cinG);
    for (let o = g * coutG; o < (g + 1) * coutG; o++) full[i * cout + o] = grouped[(i % cinG) * cout + o];
  }
  return tf.tensor4d(full, [1, 1, cin, cout]);
}

function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.norm(tf.sub(a, b)).div(tf.norm(b)).dataSync()[0]);
}

describe('PointwiseConv', () => {
  it.each([1, 2, 3, 4, 8])('equals conv2d with a block-diagonal kernel for %i groups, output and input gradient', (groups) => {
    const cin = 8 * groups;
    const cout = 4 * groups;
    const layer = new PointwiseConv({ filters: cout, groups });
    const x = tf.randomNormal([2, 5, 6, cin], 0, 1, 'float32', 7);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 5, 6, cout]);
    const kernel = layer.getWeights()[0];
    expect(kernel.shape).toEqual([1, 1, cin / groups, cout]);
    const full = blockDiagonal(kernel.dataSync() as Float32Array, cin, cout, groups);
    const ref = tf.conv2d(x as tf.Tensor4D, full, 1, 'same');
    expect(relError(y, ref)).toBeLessThan(1e-5);

    const dy = tf.randomNormal(ref.shape, 0, 1, 'float32', 8);
    const dxGrouped = tf.grad((input: tf.Tensor) => tf.mul(layer.apply(input) as tf.Tensor, dy).sum())(x);
    const dxRef = tf.grad((input: tf.Tensor) => tf.mul(tf.conv2d(input as tf.Tensor4D, full, 1, 'same'), dy).sum())(x);
    expect(relError(dxGrouped, dxRef)).toBeLessThan(1e-5);
    tf.dispose([x, y, kernel, full, ref, dy, dxGrouped, dxRef]);
  });

  it('gets kernel gradients equal to the blocks of the block-diagonal kernel gradient', () => {
    const groups = 4;
    const cin = 16;
    const cout = 8;
    const input = tf.input({ shape: [3, 3, cin] });
    const layer = new PointwiseConv({ filters: cout, groups });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const x = tf.randomNormal([2, 3, 3, cin], 0, 1, 'float32', 3) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 3, 3, cout], 0, 1, 'float32', 4);
    const { grads } = tf.variableGrads(() => tf.mul(model.apply(x) as tf.Tensor, dy).sum());
    const dw = Object.values(grads)[0];
    const full = blockDiagonal(layer.getWeights()[0].dataSync() as Float32Array, cin, cout, groups);
    const dwFull = tf.grad((w: tf.Tensor) => tf.mul(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'), dy).sum())(full);
    const fullData = dwFull.dataSync();
    const expected = new Float32Array((cin / groups) * cout);
    for (let i = 0; i < cin; i++) {
      const g = Math.floor(i / (cin / groups));
      for (let o = g * (cout / groups); o < (g + 1) * (cout / groups); o++) {
        expected[(i % (cin / groups)) * cout + o] = fullData[i * cout + o];
      }
    }
    expect(relError(dw, tf.tensor4d(expected, [1, 1, cin / groups, cout]))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('rejects channel counts that do not split into the groups', () => {
    expect(() => new PointwiseConv({ filters: 10, groups: 3 })).toThrow(/divisible/);
    const layer = new PointwiseConv({ filters: 6, groups: 3 });
    expect(() => layer.apply(tf.input({ shape: [4, 4, 7] }))).toThrow(/divisible/);
  });
});

describe('ChannelShuffle', () => {
  it('matches the reshape-transpose definition on a known array', () => {
    const layer = new ChannelShuffle({ groups: 2 });
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15], [1, 1, 2, 6]);
    // [g=2, c/g=3] = [[0,1,2],[3,4,5]] transposed and flattened.
    expect((layer.apply(x) as tf.Tensor).arraySync()).toEqual([
      [
        [
          [0, 3, 1, 4, 2, 5],
          [10, 13, 11, 14, 12, 15],
        ],
      ],
    ]);
    const three = new ChannelShuffle({ groups: 3 }).apply(tf.range(0, 6).reshape([1, 1, 1, 6])) as tf.Tensor;
    expect(Array.from(three.dataSync())).toEqual([0, 2, 4, 1, 3, 5]);
  });

  it('is a permutation: shuffling with g then with c/g gives the input back', () => {
    const x = tf.randomNormal([2, 3, 4, 24], 0, 1, 'float32', 11);
    for (const g of [2, 3, 4, 8]) {
      const once = new ChannelShuffle({ groups: g }).apply(x) as tf.Tensor;
      expect(relError(once, x)).toBeGreaterThan(0.1);
      const back = new ChannelShuffle({ groups: 24 / g }).apply(once) as tf.Tensor;
      expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    }
  });
});

describe('BatchNorm2d', () => {
  /** The same layer's maths written with tf.moments, differentiated by tfjs itself. */
  function reference(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, beta, gamma, eps);
  }

  it('normalises with batch statistics in training and matches the tfjs gradient', () => {
    const layer = new BatchNorm2d({ momentum: 0.9, epsilon: 1e-5 });
    const input = tf.input({ shape: [4, 5, 6] });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const gamma = tf.randomNormal([6], 1, 0.3, 'float32', 1) as tf.Tensor1D;
    const beta = tf.randomNormal([6], 0, 0.3, 'float32', 2) as tf.Tensor1D;
    layer.setWeights([gamma, beta, tf.zeros([6]), tf.ones([6])]);
    const x = tf.variable(tf.randomNormal([3, 4, 5, 6], 2, 3, 'float32', 3) as tf.Tensor4D);
    const dy = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 4);

    const ours = tf.variableGrads(() => tf.mul(model.apply(x, { training: true }) as tf.Tensor, dy).sum() as tf.Scalar);
    const g = tf.variable(gamma);
    const b = tf.variable(beta);
    const ref = tf.variableGrads(
      () => tf.mul(reference(x as unknown as tf.Tensor4D, g as unknown as tf.Tensor1D, b as unknown as tf.Tensor1D, 1e-5), dy).sum() as tf.Scalar,
      [x, g, b],
    );
    expect(Math.abs(ours.value.dataSync()[0] - ref.value.dataSync()[0])).toBeLessThan(1e-3);
    expect(relError(ours.grads[x.name], ref.grads[x.name])).toBeLessThan(1e-4);
    const [gammaName, betaName] = layer.trainableWeights.map((w) => w.originalName);
    expect(relError(ours.grads[gammaName], ref.grads[g.name])).toBeLessThan(1e-5);
    expect(relError(ours.grads[betaName], ref.grads[b.name])).toBeLessThan(1e-5);
    model.dispose();
  });

  it('updates the moving mean and unbiased variance with the momentum, and uses them in inference', () => {
    const layer = new BatchNorm2d({ momentum: 0.75, epsilon: 1e-3 });
    const x = tf.tensor4d([1, 10, 3, 20, 5, 30, 7, 40], [2, 2, 1, 2]);
    layer.apply(x, { training: true });
    const [, , movingMean, movingVar] = layer.getWeights();
    // channel 0: 1,3,5,7 (mean 4, unbiased var 20/3); channel 1: 10..40 (mean 25, var 500/3)
    expect(Array.from(movingMean.dataSync())).toEqual([0.25 * 4, 0.25 * 25].map((v) => Math.fround(v)));
    const vars = Array.from(movingVar.dataSync());
    expect(vars[0]).toBeCloseTo(0.75 + 0.25 * (20 / 3), 4);
    expect(vars[1]).toBeCloseTo(0.75 + 0.25 * (500 / 3), 3);
    const y = layer.apply(x) as tf.Tensor;
    const expected = tf.batchNorm(x, movingMean, movingVar, undefined, undefined, 1e-3);
    expect(relError(y, expected)).toBeLessThan(1e-6);
  });
});

describe('buildShuffleNetV1', () => {
  it.each<[Groups, Scale]>([
    [1, 0.25],
    [2, 0.25],
    [3, 0.25],
    [4, 0.5],
    [8, 0.25],
  ])('gives logits [batch, classes] for groups %i at %fx with the cifar stem', (groups, scale) => {
    const model = buildShuffleNetV1(small({ groups, scale, numClasses: 7 }));
    expect(model.inputs[0].shape).toEqual([null, 32, 32, 3]);
    const y = model.predict(tf.randomNormal([3, 32, 32, 3])) as tf.Tensor;
    expect(y.shape).toEqual([3, 7]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    expect(model.getLayer(`stage4.unit4.relu`).outputShape).toEqual([null, 4, 4, networkWidth(model)]);
    model.dispose();
  });

  it('downsamples 224 to 7x7 with the imagenet stem and 32 to 4x4 with the cifar stem', () => {
    const imagenet = buildShuffleNetV1(small({ stem: 'imagenet', inputSize: 224 }));
    expect(imagenet.getLayer('stem.conv').outputShape).toEqual([null, 112, 112, 24]);
    expect(imagenet.getLayer('stem.pool').outputShape).toEqual([null, 56, 56, 24]);
    expect(imagenet.getLayer('stage2.unit1.relu').outputShape).toEqual([null, 28, 28, 60]);
    expect(imagenet.getLayer('stage4.unit4.relu').outputShape).toEqual([null, 7, 7, 240]);
    const y = imagenet.predict(tf.randomNormal([1, 224, 224, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 10]);
    const cifar = buildShuffleNetV1(small());
    expect(cifar.getLayer('stem.conv').outputShape).toEqual([null, 32, 32, 24]);
    expect(() => cifar.getLayer('stem.pool')).toThrow();
    expect(cifar.getLayer('stage2.unit1.relu').outputShape).toEqual([null, 16, 16, 60]);
    imagenet.dispose();
    cifar.dispose();
  });

  it('groups every pointwise conv except the first one of stage 2, and shuffles after the first', () => {
    const model = buildShuffleNetV1(small({ groups: 8 }));
    expect((model.getLayer('stage2.unit1.pw1') as PointwiseConv).groups).toBe(1);
    expect((model.getLayer('stage2.unit1.pw2') as PointwiseConv).groups).toBe(8);
    expect((model.getLayer('stage2.unit2.pw1') as PointwiseConv).groups).toBe(8);
    expect((model.getLayer('stage2.unit1.shuffle') as ChannelShuffle).groups).toBe(8);
    const convBiases = model.layers.filter((l) => /pw|dw|stem\.conv/.test(l.name)).flatMap((l) => l.weights);
    expect(convBiases.every((w) => !w.name.includes('bias'))).toBe(true);
    expect(model.getLayer('classifier').weights.map((w) => w.shape)).toEqual([[384, 10], [10]]);
    model.dispose();
  });

  it('initialises every conv He-normal over its true fan-in (groups and depthwise included)', () => {
    const model = buildShuffleNetV1(small({ groups: 3, scale: 1 }));
    const std = (name: string): number => tf.tidy(() => tf.moments(model.getLayer(name).getWeights()[0]).variance.sqrt().dataSync()[0]);
    // tfjs draws He-normal from a normal truncated at 2 std, which has 0.88 of the nominal std.
    const expected = (fanIn: number): number => 0.88 * Math.sqrt(2 / fanIn);
    expect(std('stage3.unit2.pw1') / expected(480 / 3)).toBeCloseTo(1, 1);
    expect(std('stage3.unit2.pw2') / expected(120 / 3)).toBeCloseTo(1, 1);
    expect(std('stage3.unit2.dw') / expected(9)).toBeCloseTo(1, 1);
    expect(std('stem.conv') / expected(27)).toBeCloseTo(1, 0);
    model.dispose();
  });

  it('starts every batch-norm gamma at 1, or the last of each branch at 0 with zeroInitBranches, and saves that choice', () => {
    const plain = buildShuffleNetV1(small({ groups: 3 }));
    expect(new Set(plain.getLayer('stage3.unit2.pw2_bn').getWeights()[0].dataSync())).toEqual(new Set([1]));
    plain.dispose();
    const model = buildShuffleNetV1(small({ groups: 3 }), { zeroInitBranches: true });
    const gamma = (name: string) => Array.from(model.getLayer(name).getWeights()[0].dataSync());
    expect(new Set(gamma('stage2.unit1.pw2_bn'))).toEqual(new Set([0]));
    expect(new Set(gamma('stage3.unit2.pw2_bn'))).toEqual(new Set([0]));
    expect(new Set(gamma('stage3.unit2.pw1_bn'))).toEqual(new Set([1]));
    expect(new Set(gamma('stem.bn'))).toEqual(new Set([1]));
    const rebuilt = BatchNorm2d.fromConfig(BatchNorm2d, model.getLayer('stage3.unit2.pw2_bn').getConfig()) as BatchNorm2d;
    expect(rebuilt.zeroGamma).toBe(true);
    model.dispose();
  });

  it('leaks no tensors in inference or in a training-mode forward and backward pass', () => {
    const model = buildShuffleNetV1(small({ groups: 2 }));
    const x = tf.randomNormal([2, 32, 32, 3]);
    tf.dispose(model.predict(x) as tf.Tensor);
    const before = tf.memory().numTensors;
    const y = model.predict(x) as tf.Tensor;
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const { value, grads } = tf.variableGrads(() => (model.apply(x, { training: true }) as tf.Tensor).square().mean() as tf.Scalar);
    expect(Object.keys(grads)).toHaveLength(model.trainableWeights.length);
    expect(Object.values(grads).every((g) => tf.tidy(() => Number.isFinite(g.sum().dataSync()[0])))).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});

/** Channels after the last unit of a built model. */
function networkWidth(model: tf.LayersModel): number {
  return model.getLayer('classifier').weights[0].shape[0] as number;
}

describe('saving and loading', () => {
  it('saves to a folder and loads back with the same predictions', async () => {
    const model = buildShuffleNetV1(small({ groups: 3 }));
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
    // A training-mode pass moves the batch-norm statistics away from their initial values.
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    const dir = path.join(tmp, 'saved');
    await saveModelToDir(model, dir);
    const loaded = await loadModelFromDir(dir);
    expect(loaded.getLayer('stage3.unit2.pw1')).toBeInstanceOf(PointwiseConv);
    expect(loaded.getLayer('stage3.unit2.shuffle')).toBeInstanceOf(ChannelShuffle);
    expect(loaded.getLayer('stage3.unit2.dw_bn')).toBeInstanceOf(BatchNorm2d);
    expect(loaded.countParams()).toBe(model.countParams());
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('round-trips through model.toJSON and in-memory artifacts, as a browser would load it', async () => {
    const model = buildShuffleNetV1(small({ groups: 4, scale: 0.5 }));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(model.toJSON() as string).toContain('"class_name":"GroupedConv1x1"');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 6);
    expect(relError(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBe(0);
    model.dispose();
    loaded.dispose();
  });

  it('serves a saved folder over http and loads it with tf.loadLayersModel, as a browser does', async () => {
    const model = buildShuffleNetV1(small({ groups: 8 }));
    const dir = path.join(tmp, 'served');
    await saveModelToDir(model, dir);
    const server = createServer((req, res) => {
      readFile(path.join(dir, path.basename(req.url ?? '')))
        .then((body) => res.end(body))
        .catch(() => res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const loaded = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
      const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 9);
      expect(relError(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBe(0);
      loaded.dispose();
    } finally {
      server.close();
      model.dispose();
    }
  });

  it('keeps the layer modules browser-safe: they import nothing but tfjs and each other', async () => {
    const dir = path.join(import.meta.dirname, '../../src-main/engine/model');
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = await readFile(path.join(dir, file), 'utf8');
      for (const [, typeOnly, spec] of source.matchAll(/^import (type )?[^;]*?from '([^']+)';/gms)) {
        if (spec.startsWith('./')) await visit(`${spec.slice(2)}.ts`);
        else if (!typeOnly) expect(spec, `${file} imports ${spec}`).toBe('@tensorflow/tfjs');
      }
      for (const [, spec] of source.matchAll(/^export [^;]*? from '([^']+)';/gms)) await visit(`${spec.slice(2)}.ts`);
    };
    await visit('layers.ts');
    expect([...seen].sort()).toEqual(['batch-norm.ts', 'layers.ts']);
  });

  it('reports a folder without a model, or with truncated weights, as a UserError', async () => {
    await expect(loadModelFromDir(path.join(tmp, 'nothing-here'))).rejects.toThrow(UserError);
    const model = buildShuffleNetV1(small());
    const dir = path.join(tmp, 'truncated');
    await saveModelToDir(model, dir);
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(100));
    await expect(loadModelFromDir(dir)).rejects.toThrow(/expects/);
    model.dispose();
  });
});

// Last in the file: it leaves the wasm backend active.
describe('on the wasm backend', () => {
  it('gives the same loss and gradients as the cpu backend for a whole ShuffleNet', async () => {
    await tf.setBackend('cpu');
    // Seeded weights: with batch 2 through 16 batch norms some random draws are ill-conditioned
    // (one of eight seeds tried gave a whole-gradient relative error of 7e-3 against 2e-5 to 1e-4
    // for the others), which made an unseeded test fail about one run in three.
    const model = withSeededRandom(1, () => buildShuffleNetV1(small({ groups: 3, inputSize: 16 })));
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 21);
    const loss = () => tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor).square().mean() as tf.Scalar);
    const run = (): { value: number; grads: Map<string, Float32Array> } => {
      const { value, grads } = tf.variableGrads(loss);
      const out = new Map(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array]));
      const v = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return { value: v, grads: out };
    };
    const cpu = run();
    const info = await initBackend({ prefer: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    expect(info.name).toBe('wasm');
    const before = tf.memory().numTensors;
    const wasm = run();
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(wasm.value - cpu.value) / Math.abs(cpu.value)).toBeLessThan(1e-4);
    expect(wasm.grads.size).toBe(model.trainableWeights.length);
    // Some gradients are zero in exact arithmetic (a depthwise BN's beta, whose shift the next
    // BN removes; a pw1 BN's gamma while its beta is 0), so each tensor's error is measured
    // against at least 1% of the largest gradient anywhere in the model.
    const globalScale = Math.max(...[...cpu.grads.values()].map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    for (const [name, g] of cpu.grads) {
      const w = wasm.grads.get(name)!;
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < g.length; i++) {
        diff = Math.max(diff, Math.abs(w[i] - g[i]));
        scale = Math.max(scale, Math.abs(g[i]));
      }
      expect(diff / Math.max(scale, 0.01 * globalScale), name).toBeLessThan(1e-3);
    }
    x.dispose();
    model.dispose();
  });
});
