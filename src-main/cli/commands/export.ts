import path from 'node:path';
import { exportAndVerify, type ExportCheckOutcome } from '../../engine/api';
import { choiceOption, requiredString } from '../args';
import type { Command } from '../command';

interface ExportReport {
  format: 'onnx' | 'tfjs';
  checkpoint: string;
  files: string[];
  bytes?: number;
  opset?: number;
  check?: ExportCheckOutcome;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a trained run as an ONNX model or a TensorFlow.js graph model folder',
  usage: 'export --run <run-dir> --format onnx|tfjs --out <path> [--check] [--json]',
  options: {
    run: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    check: { type: 'boolean' },
  },
  async run({ values, out }) {
    const run = path.resolve(requiredString(values, 'run'));
    const format = choiceOption(values, 'format', ['onnx', 'tfjs'] as const, 'onnx');
    const target = path.resolve(requiredString(values, 'out'));
    const written = await exportAndVerify(run, format, target, { check: values.check === true });
    const report: ExportReport = {
      format,
      checkpoint: written.checkpoint,
      files: written.files.map((f) => f.path),
      // The ONNX export is one file: its size and opset are the report's headline.
      ...(written.opset !== null ? { bytes: written.files[0].bytes, opset: written.opset } : {}),
      ...(written.check ? { check: written.check } : {}),
    };
    out.result(report, human);
  },
};

function human(r: ExportReport): string {
  const what = r.format === 'onnx' ? `ONNX model (opset ${r.opset}, ${((r.bytes ?? 0) / 1e6).toFixed(2)} MB)` : 'TensorFlow.js graph model (tf.loadGraphModel)';
  const lines = [`Exported ${r.checkpoint} as ${what}:`, ...r.files.map((f) => `  ${f}`)];
  if (r.check && 'skipped' in r.check) lines.push(`Check skipped: ${r.check.skipped}`);
  else if (r.check) {
    const c = r.check;
    lines.push(
      `Check against the app's tfjs model on ${c.count} random inputs: max abs error ${c.maxAbsError.toExponential(2)}, ` +
        `relative ${c.relativeError.toExponential(2)}, same top class ${(c.top1Agreement * 100).toFixed(0)}%`,
    );
  }
  return lines.join('\n');
}
