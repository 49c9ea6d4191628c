import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MomentumSgd, isDecayed } from '../../../src-main/engine/step/sgd';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('MomentumSgd', () => {
  it('matches a hand computation: decay on kernels only, momentum accumulates', () => {
    const before = tf.memory().numTensors;
    const kernel = tf.tidy(() => tf.variable(tf.tensor2d([[1, -2]]), true, 'sgdtest/kernel'));
    const bias = tf.tidy(() => tf.variable(tf.tensor1d([0.5]), true, 'sgdtest/bias'));
    expect(isDecayed(kernel)).toBe(true);
    expect(isDecayed(bias)).toBe(false);
    const opt = new MomentumSgd(
      [
        { name: 'k', variable: kernel },
        { name: 'b', variable: bias },
      ],
      { momentum: 0.9, weightDecay: 0.1 },
    );
    const g1 = { [kernel.name]: tf.tensor2d([[0.2, 0.4]]), [bias.name]: tf.tensor1d([1]) };
    opt.apply(g1, 0.5);
    // step 1: kernel g = [0.2 + 0.1*1, 0.4 + 0.1*-2] = [0.3, 0.2]; v = g; w = [1 - 0.15, -2 - 0.1]
    //         bias   g = 1 (no decay); v = 1; w = 0.5 - 0.5 = 0
    expect(Array.from(kernel.dataSync())).toEqual([expect.closeTo(0.85, 6), expect.closeTo(-2.1, 6)]);
    expect(bias.dataSync()[0]).toBeCloseTo(0, 6);
    const g2 = { [kernel.name]: tf.tensor2d([[0, 0]]), [bias.name]: tf.tensor1d([-1]) };
    opt.apply(g2, 0.1);
    // step 2: kernel g = [0.085, -0.21]; v = 0.9*[0.3, 0.2] + g = [0.355, -0.03]; w = [0.85 - 0.0355, -2.1 + 0.003]
    //         bias   v = 0.9*1 - 1 = -0.1; w = 0 + 0.01
    expect(kernel.dataSync()[0]).toBeCloseTo(0.8145, 6);
    expect(kernel.dataSync()[1]).toBeCloseTo(-2.097, 6);
    expect(bias.dataSync()[0]).toBeCloseTo(0.01, 6);
    expect(opt.step).toBe(2);
    tf.dispose([...Object.values(g1), ...Object.values(g2)]);
    opt.dispose();
    tf.dispose([kernel, bias]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('restores its state exactly, so two optimizers continue identically', async () => {
    const make = () =>
      tf.variable(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      );
    const a = make();
    const b = make();
    const optA = new MomentumSgd([{ name: 'w', variable: a }], { momentum: 0.9, weightDecay: 4e-5 });
    const grad = (v: tf.Variable) => ({
      [v.name]: tf.tensor2d([
        [0.1, -0.3],
        [0.7, 0.01],
      ]),
    });
    const gA = grad(a);
    optA.apply(gA, 0.3);
    optA.apply(gA, 0.2);
    const state = await optA.getState();
    expect(state.header.step).toBe(2);
    expect(state.header.entries).toEqual([{ name: 'w', shape: [2, 2] }]);
    b.assign(a);
    const optB = new MomentumSgd([{ name: 'w', variable: b }], { momentum: 0.9, weightDecay: 4e-5 });
    optB.setState(state);
    const gB = grad(b);
    optA.apply(gA, 0.1);
    optB.apply(gB, 0.1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => new MomentumSgd([{ name: 'other', variable: b }], optB.options).setState(state)).toThrow(/other/);
    tf.dispose([...Object.values(gA), ...Object.values(gB), a, b]);
    optA.dispose();
    optB.dispose();
  });
});
