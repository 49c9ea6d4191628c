import { modelSummary, type Groups, type Scale, type Stem } from '../../engine/api';
import { defaultInputSize, GROUPS, SCALES, STEMS, TRAIN_CONFIG_DEFAULTS } from '../../contract/train-config-values';
import { choiceOption, numberOption } from '../args';
import type { Command } from '../command';
import { table } from '../output';

export const modelSummaryCommand: Command = {
  name: 'model-summary',
  summary: 'Parameter counts and multiply-adds per image of a ShuffleNetV1 configuration',
  usage: 'model-summary [--scale 2.0] [--groups 3] [--classes 10] [--stem imagenet|cifar] [--input-size N] [--json]',
  options: {
    scale: { type: 'string' },
    groups: { type: 'string' },
    classes: { type: 'string' },
    stem: { type: 'string' },
    'input-size': { type: 'string' },
  },
  async run({ values, out }) {
    // The tutorial's model by default, so its ImageNet stem (training defaults to the cifar stem).
    const stem = choiceOption<Stem>(values, 'stem', STEMS, 'imagenet');
    const config = {
      scale: choiceOption<Scale>(values, 'scale', SCALES, TRAIN_CONFIG_DEFAULTS.scale),
      groups: choiceOption<Groups>(values, 'groups', GROUPS, TRAIN_CONFIG_DEFAULTS.groups),
      numClasses: numberOption(values, 'classes', 10)!,
      stem,
      inputSize: numberOption(values, 'input-size', defaultInputSize(stem))!,
    };
    const summary = modelSummary(config);
    out.result({ ...summary, config }, (r: typeof summary) =>
      table([
        [
          'model',
          `ShuffleNetV1 ${config.scale}x, groups ${config.groups}, ${config.numClasses} classes, ${config.stem} stem at ${config.inputSize}x${config.inputSize}`,
        ],
        ['trainable parameters', r.trainableParams.toLocaleString('en-US')],
        ['parameters incl. BN statistics', r.totalParams.toLocaleString('en-US')],
        ['multiply-adds per image', `${(r.macs / 1e6).toFixed(1)} M`],
      ]),
    );
  },
};
