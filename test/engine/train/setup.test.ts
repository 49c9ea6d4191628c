import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../../src-main/engine/train/config';
import { prepareModel } from '../../../src-main/engine/train/setup';

describe('prepareModel', () => {
  it('builds the model with zero-initialised branch gammas only when the config asks for them', async () => {
    const base = { ...defaultTrainConfig({ dataset: '', outDir: '' }), scale: 0.25 as const, stem: 'cifar' as const, inputSize: 16 };
    for (const zeroInitBranches of [false, true]) {
      const session = await prepareModel({ ...base, zeroInitBranches }, ['a', 'b', 'c'], null);
      const gamma = session.model.getLayer('stage3.unit2.pw2_bn').getWeights()[0].dataSync();
      expect(new Set(gamma), `zeroInitBranches ${zeroInitBranches}`).toEqual(new Set([zeroInitBranches ? 0 : 1]));
      session.sgd.dispose();
      session.model.dispose();
    }
  });
});
