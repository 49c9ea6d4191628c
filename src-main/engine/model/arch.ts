/**
 * The ShuffleNetV1 layout as plain numbers (no tfjs): channels, strides and groups per unit.
 * plan.ts turns it into the layer list that every emitter and the analytic summary walk.
 */
import { UserError } from '../errors';
import type { Groups, ModelConfig, Scale } from '../types';
import { GROUPS, SCALES } from '../../contract/train-config-values';

export const SUPPORTED_GROUPS: readonly Groups[] = GROUPS;
export const SUPPORTED_SCALES: readonly Scale[] = SCALES;

/** Stage output channels at width 1.0x (paper, Table 1). */
const STAGE_OUT_1X: Record<Groups, readonly [number, number, number]> = {
  1: [144, 288, 576],
  2: [200, 400, 800],
  3: [240, 480, 960],
  4: [272, 544, 1088],
  8: [384, 768, 1536],
};

export const STAGE_REPEATS = [4, 8, 4] as const;

/** One ShuffleNet unit: 1x1 (grouped) -> shuffle -> 3x3 depthwise -> 1x1 grouped, plus shortcut. */
export interface UnitPlan {
  /** Dotted name prefix, e.g. `stage2.unit1`. */
  name: string;
  inChannels: number;
  outChannels: number;
  /** Bottleneck width: outChannels / 4. */
  midChannels: number;
  /** Channels of the residual branch: outChannels - inChannels for stride 2 (concat), else outChannels. */
  branchChannels: number;
  stride: 1 | 2;
  /** Groups of the first pointwise conv (1 in the first unit of stage 2). */
  firstGroups: number;
  groups: number;
}

export interface NetworkPlan {
  stemChannels: number;
  stemStride: 1 | 2;
  stemMaxPool: boolean;
  stageChannels: [number, number, number];
  units: UnitPlan[];
  finalChannels: number;
}

/**
 * Stage output channels for `groups` at `scale`. The product is rounded to a multiple of 4 * groups
 * so the bottleneck (out / 4) splits evenly into groups; every combination that the reference
 * builds as is (all of groups 1, 3, 8 and scales 1.0x / 2.0x of groups 2, 4) is unchanged by this,
 * while groups 2 and 4 at 0.25x, 0.5x and 1.5x get the nearest valid width instead of failing.
 */
export function stageChannels(groups: Groups, scale: Scale): [number, number, number] {
  const unit = 4 * groups;
  const [a, b, c] = STAGE_OUT_1X[groups].map((ch) => Math.max(unit, Math.round((ch * scale) / unit) * unit));
  return [a, b, c];
}

/** Stem width: 24, except 48 for 2.0x (MindSpore tutorial / megvii reference). */
export function stemChannels(scale: Scale): number {
  return scale === 2 ? 48 : 24;
}

/** Throws a UserError for a configuration the network cannot be built with. */
export function validateModelConfig(config: ModelConfig): void {
  if (!SUPPORTED_GROUPS.includes(config.groups)) {
    throw new UserError(`groups must be one of ${SUPPORTED_GROUPS.join(', ')}, got ${config.groups}`);
  }
  if (!SUPPORTED_SCALES.includes(config.scale)) {
    throw new UserError(`scale must be one of ${SUPPORTED_SCALES.join(', ')}, got ${config.scale}`);
  }
  if (config.stem !== 'imagenet' && config.stem !== 'cifar') {
    throw new UserError(`stem must be 'imagenet' or 'cifar', got ${String(config.stem)}`);
  }
  if (!Number.isInteger(config.numClasses) || config.numClasses < 2) {
    throw new UserError(`numClasses must be an integer of at least 2, got ${config.numClasses}`);
  }
  if (!Number.isInteger(config.inputSize) || config.inputSize < 8) {
    throw new UserError(`inputSize must be an integer of at least 8 pixels, got ${config.inputSize}`);
  }
}

/** The full unit-by-unit layout for a configuration. */
export function networkPlan(config: ModelConfig): NetworkPlan {
  validateModelConfig(config);
  const stage = stageChannels(config.groups, config.scale);
  const stem = stemChannels(config.scale);
  const units: UnitPlan[] = [];
  let cin = stem;
  stage.forEach((cout, s) => {
    for (let r = 0; r < STAGE_REPEATS[s]; r++) {
      const stride = r === 0 ? 2 : 1;
      units.push({
        name: `stage${s + 2}.unit${r + 1}`,
        inChannels: cin,
        outChannels: cout,
        midChannels: cout / 4,
        branchChannels: stride === 2 ? cout - cin : cout,
        stride,
        firstGroups: s === 0 && r === 0 ? 1 : config.groups,
        groups: config.groups,
      });
      cin = cout;
    }
  });
  return {
    stemChannels: stem,
    stemStride: config.stem === 'imagenet' ? 2 : 1,
    stemMaxPool: config.stem === 'imagenet',
    stageChannels: stage,
    units,
    finalChannels: cin,
  };
}
