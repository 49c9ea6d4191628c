import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { networkPlan, stageChannels } from '../../src-main/engine/model/arch';
import { PointwiseConv } from '../../src-main/engine/model/layers';
import { buildShuffleNetV1 } from '../../src-main/engine/model/shufflenet';
import { modelSummary } from '../../src-main/engine/model/summary';
import type { Groups, ModelConfig, Scale } from '../../src-main/engine/types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg = (over: Partial<ModelConfig> = {}): ModelConfig => ({
  scale: 2,
  groups: 3,
  numClasses: 10,
  stem: 'imagenet',
  inputSize: 224,
  ...over,
});

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Multiply-adds counted from the built model's layers and their output shapes, the way the
 * PyTorch reference hooks count them: independent of summary.ts's arithmetic.
 */
function macsFromModel(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const out = layer.outputShape as number[];
    const cls = layer.getClassName();
    if (!['Conv2D', 'DepthwiseConv2D', 'GroupedConv1x1', 'Dense'].includes(cls)) continue;
    const inC = (layer.input as tf.SymbolicTensor).shape.at(-1) as number;
    if (cls === 'Conv2D') total += size(out.slice(1)) * inC * 9;
    else if (cls === 'DepthwiseConv2D') total += size(out.slice(1)) * 9;
    else if (cls === 'GroupedConv1x1') total += size(out.slice(1)) * (inC / (layer as PointwiseConv).groups);
    else if (cls === 'Dense') total += size(out.slice(1)) * inC;
  }
  return total;
}

describe('modelSummary', () => {
  it('matches the reference sizes of 2.0x groups 3 (paper, 524 MFLOPs model)', () => {
    expect(modelSummary(cfg({ numClasses: 10 }))).toEqual({
      trainableParams: 3_548_986,
      totalParams: 3_597_946,
      macs: 522_144_384,
    });
    const thousand = modelSummary(cfg({ numClasses: 1000 }));
    expect(thousand.trainableParams).toBe(5_450_776);
    expect(thousand.totalParams).toBe(5_499_736);
  });

  it('counts 166,527,744 multiply-adds at 32x32 with the cifar stem', () => {
    const s = modelSummary(cfg({ stem: 'cifar', inputSize: 32 }));
    expect(s.macs).toBe(166_527_744);
    expect(s.trainableParams).toBe(3_548_986);
  });

  it('agrees with the parameters of the built 2.0x groups 3 model', () => {
    for (const numClasses of [10, 1000]) {
      const model = buildShuffleNetV1(cfg({ numClasses }));
      const trainable = model.trainableWeights.reduce((sum, w) => sum + size(w.shape as number[]), 0);
      expect(trainable).toBe(numClasses === 10 ? 3_548_986 : 5_450_776);
      expect(model.countParams()).toBe(numClasses === 10 ? 3_597_946 : 5_499_736);
      expect(macsFromModel(model)).toBe(modelSummary(cfg({ numClasses })).macs);
      model.dispose();
    }
  });

  it.each<[Groups, Scale, ModelConfig['stem'], number]>([
    [1, 0.25, 'cifar', 32],
    [2, 0.5, 'cifar', 32],
    [4, 1.5, 'imagenet', 96],
    [8, 1, 'cifar', 40],
    [3, 0.5, 'imagenet', 224],
  ])('agrees with the built model for groups %i, %fx, %s stem at %i', (groups, scale, stem, inputSize) => {
    const config = cfg({ groups, scale, stem, inputSize, numClasses: 7 });
    const model = buildShuffleNetV1(config);
    const s = modelSummary(config);
    const trainable = model.trainableWeights.reduce((sum, w) => sum + size(w.shape as number[]), 0);
    expect(s.trainableParams).toBe(trainable);
    expect(s.totalParams).toBe(model.countParams());
    expect(s.macs).toBe(macsFromModel(model));
    model.dispose();
  });
});

describe('network layout', () => {
  it('uses the paper Table 1 stage widths at 1.0x', () => {
    expect(stageChannels(1, 1)).toEqual([144, 288, 576]);
    expect(stageChannels(2, 1)).toEqual([200, 400, 800]);
    expect(stageChannels(3, 1)).toEqual([240, 480, 960]);
    expect(stageChannels(4, 1)).toEqual([272, 544, 1088]);
    expect(stageChannels(8, 1)).toEqual([384, 768, 1536]);
    expect(stageChannels(3, 2)).toEqual([480, 960, 1920]);
    expect(stageChannels(8, 0.25)).toEqual([96, 192, 384]);
  });

  it('keeps every bottleneck divisible by the groups at every width', () => {
    for (const groups of [1, 2, 3, 4, 8] as Groups[]) {
      for (const scale of [0.25, 0.5, 1, 1.5, 2] as Scale[]) {
        const plan = networkPlan(cfg({ groups, scale }));
        expect(plan.units).toHaveLength(16);
        for (const u of plan.units) {
          expect(u.midChannels * 4).toBe(u.outChannels);
          expect(u.midChannels % groups).toBe(0);
          expect(u.inChannels % u.firstGroups).toBe(0);
          expect(u.branchChannels % groups).toBe(0);
        }
      }
    }
  });

  it('has a 24-channel stem, 48 at 2.0x, and no grouping in the first pointwise conv of stage 2', () => {
    expect(networkPlan(cfg({ scale: 1 })).stemChannels).toBe(24);
    const plan = networkPlan(cfg({ scale: 2 }));
    expect(plan.stemChannels).toBe(48);
    expect(plan.units[0]).toMatchObject({ name: 'stage2.unit1', firstGroups: 1, groups: 3, stride: 2, branchChannels: 432 });
    expect(plan.units[1]).toMatchObject({ firstGroups: 3, stride: 1, branchChannels: 480 });
    expect(plan.units.filter((u) => u.stride === 2).map((u) => u.name)).toEqual(['stage2.unit1', 'stage3.unit1', 'stage4.unit1']);
  });

  it('rejects unsupported configurations with a UserError', () => {
    expect(() => modelSummary(cfg({ groups: 5 as Groups }))).toThrow(UserError);
    expect(() => modelSummary(cfg({ scale: 3 as Scale }))).toThrow(/scale must be one of/);
    expect(() => modelSummary(cfg({ numClasses: 1 }))).toThrow(/numClasses/);
    expect(() => buildShuffleNetV1(cfg({ inputSize: 0 }))).toThrow(UserError);
  });
});
