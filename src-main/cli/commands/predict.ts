import path from 'node:path';
import { TEST_TIME_AUGMENTATIONS } from '../../contract/test-time-augmentation';
import { UserError, predictFolder, DEVICE_CHOICES, INFERENCE_RUNTIMES, type RuntimeInfo, type PredictionItem } from '../../engine/api';
import { choiceOption, numberOption, requiredString } from '../args';
import type { Command } from '../command';
import { percent } from '../output';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'Predict every image in a folder and its sub-folders with a trained run',
  usage: `predict --run <run-dir> <folder> [--top-k 5] [--batch-size N] [--runtime auto|onnx|tfjs] [--device auto|cuda|webgpu|cpu] [--tta ${TEST_TIME_AUGMENTATIONS.join('|')}] [--json]`,
  options: {
    run: { type: 'string' },
    'top-k': { type: 'string' },
    'batch-size': { type: 'string' },
    runtime: { type: 'string' },
    device: { type: 'string' },
    tta: { type: 'string' },
  },
  async run({ values, positionals, out, signal }) {
    const folder = positionals[0];
    if (!folder) throw new UserError('predict needs a folder: predict --run <run-dir> <folder>');
    // Without --runtime the engine reads SHUFFLENET_RUNTIME, then takes 'auto'.
    const runtime = values.runtime === undefined ? undefined : choiceOption(values, 'runtime', INFERENCE_RUNTIMES, 'auto');
    // Without --device the engine reads SHUFFLENET_DEVICE, then takes 'auto'.
    const device = values.device === undefined ? undefined : choiceOption(values, 'device', DEVICE_CHOICES, 'auto');
    const tta = choiceOption(values, 'tta', TEST_TIME_AUGMENTATIONS, 'none');
    let ranOn: RuntimeInfo['device'] = 'cpu';
    const announce = (info: RuntimeInfo) => {
      ranOn = info.device;
      out.progress(`running on ${info.detail}${info.fallbackReason ? ` (ONNX Runtime not used: ${info.fallbackReason})` : ''}`);
    };
    const print = (item: PredictionItem) => {
      if (out.json) return out.line(item);
      const text =
        'skipped' in item
          ? `${item.path}: skipped (${item.skipped})`
          : `${item.path}: ${item.top.map((t) => `${t.label} ${percent(t.probability, 1)}`).join(', ')}`;
      process.stdout.write(`${text}\n`);
    };
    const counts = await predictFolder({
      run: path.resolve(requiredString(values, 'run')),
      folder: path.resolve(folder),
      topK: numberOption(values, 'top-k'),
      batchSize: numberOption(values, 'batch-size'),
      runtime,
      device,
      tta,
      onRuntime: announce,
      signal,
      onItem: print,
    });
    // The last --json line: what outside checks read to know the run is complete and where it ran.
    if (out.json) out.line({ done: { count: counts.predicted, skipped: counts.skipped, device: ranOn, tta } });
    else process.stderr.write(`${counts.predicted} images predicted, ${counts.skipped} skipped, on ${ranOn}${tta === 'none' ? '' : `, ${tta} TTA`}\n`);
    if (counts.predicted === 0) {
      throw new UserError(counts.skipped > 0 ? `none of the ${counts.skipped} image files in ${folder} could be read` : `no image files found in ${folder}`);
    }
  },
};
