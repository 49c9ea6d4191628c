import path from 'node:path';
import { TEST_TIME_AUGMENTATIONS } from '../../contract/test-time-augmentation';
import { evaluate, DEVICE_CHOICES, INFERENCE_RUNTIMES, type EvaluationResult } from '../../engine/api';
import { choiceOption, numberOption, requiredString } from '../args';
import type { Command } from '../command';
import { bar, percent, table } from '../output';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a trained run on a dataset split: top-1, top-5, loss, confusion matrix, per-class metrics',
  usage: `eval --run <run-dir> --dataset <dir> [--split test|validation|train|all] [--limit N] [--batch-size N] [--runtime auto|onnx|tfjs] [--device auto|cuda|webgpu|cpu] [--tta ${TEST_TIME_AUGMENTATIONS.join('|')}] [--json]`,
  options: {
    run: { type: 'string' },
    dataset: { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
    'batch-size': { type: 'string' },
    runtime: { type: 'string' },
    device: { type: 'string' },
    tta: { type: 'string' },
  },
  async run({ values, out, signal }) {
    // Without --runtime the engine reads SHUFFLENET_RUNTIME, then takes 'auto'.
    const runtime = values.runtime === undefined ? undefined : choiceOption(values, 'runtime', INFERENCE_RUNTIMES, 'auto');
    // Without --device the engine reads SHUFFLENET_DEVICE, then takes 'auto'.
    const device = values.device === undefined ? undefined : choiceOption(values, 'device', DEVICE_CHOICES, 'auto');
    const result = await evaluate({
      run: path.resolve(requiredString(values, 'run')),
      dataset: path.resolve(requiredString(values, 'dataset')),
      split: values.split as string | undefined,
      limit: numberOption(values, 'limit'),
      batchSize: numberOption(values, 'batch-size'),
      runtime,
      device,
      tta: choiceOption(values, 'tta', TEST_TIME_AUGMENTATIONS, 'none'),
      signal,
      onProgress: (done, total) => out.progress(`evaluating ${bar(done / total)} ${done}/${total}`),
    });
    // Every sample is for the app's confusion-cell view; the command line keeps the misclassified list.
    const { samples: _samples, ...printed } = result;
    out.result(printed, humanReport);
  },
};

function humanReport(r: EvaluationResult & { device: string }): string {
  const ran = r.runtime ? ` (${r.runtime === 'onnx' ? 'ONNX Runtime' : 'tfjs'} on ${r.device}${r.tta && r.tta !== 'none' ? `, ${r.tta} TTA` : ''})` : '';
  const confusion = [
    ['true \\ predicted', ...r.classes.map((_, i) => String(i))],
    ...r.confusion.map((row, i) => [`${i} ${r.classes[i]}`, ...row.map(String)]),
  ];
  const perClass = [
    ['class', 'precision', 'recall', 'f1', 'support'],
    ...r.perClass.map((m, i) => [r.classes[i], m.precision.toFixed(4), m.recall.toFixed(4), m.f1.toFixed(4), String(m.support)]),
  ];
  return [
    `${r.count} images: top-1 ${percent(r.top1)}, top-5 ${percent(r.top5)}, loss ${r.loss.toFixed(4)}${ran}`,
    '',
    'Confusion matrix (rows = true class):',
    table(confusion),
    '',
    table(perClass),
  ].join('\n');
}
