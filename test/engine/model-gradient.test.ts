import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend';
import { buildShuffleNetV1 } from '../../src-main/engine/model/shufflenet';

/**
 * The whole network's analytic gradient against central finite differences. A wrong gradient in
 * one layer (tfjs's AvgPoolGrad divides by the full window where its 'same' forward divides by the
 * valid count) shows up as a constant bias in every layer below it: 7-15% before the fix.
 */
describe('ShuffleNetV1 gradients', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('match finite differences in every layer below the stride-2 units', () => {
    const model = buildShuffleNetV1({ scale: 0.25, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 16 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const x = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 7);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, variables);
    value.dispose();

    const ratios: number[] = [];
    for (const v of variables.filter((v) => /stage[23]\.unit\d\.(pw1|pw2|dw)\//.test(v.name))) {
      tf.tidy(() => {
        const g = grads[v.name];
        const norm = Math.sqrt(g.square().sum().dataSync()[0]);
        const step = g.div(norm).mul(3e-3);
        const original = v.clone();
        v.assign(original.add(step));
        const plus = loss().dataSync()[0];
        v.assign(original.sub(step));
        const minus = loss().dataSync()[0];
        v.assign(original);
        ratios.push((plus - minus) / (2 * 3e-3) / norm);
      });
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    expect(ratios.length).toBeGreaterThan(30);
    expect(Math.abs(mean - 1)).toBeLessThan(0.03);
    tf.dispose([x, y, ...Object.values(grads)]);
    model.dispose();
  });
});
