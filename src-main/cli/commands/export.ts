import path from 'node:path';
import { initBackend } from '../../engine/backend';
import { exportOnnx } from '../../engine/export/onnx';
import { exportTfjs } from '../../engine/export/tfjs';
import { compareTfjsExportWithCheckpoint } from '../../engine/export/tfjs-verify';
import { compareOnnxWithTfjs, type ExportCheck } from '../../engine/export/verify';
import { onnxRuntimeStatus } from '../../engine/runtime/onnx-runtime';
import { choiceOption, requiredString } from '../args';
import type { Command } from '../command';

interface ExportReport {
  format: 'onnx' | 'tfjs';
  checkpoint: string;
  files: string[];
  bytes?: number;
  opset?: number;
  check?: ExportCheck | { skipped: string };
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
    if (format === 'tfjs') {
      const r = await exportTfjs(run, target);
      const report: ExportReport = { format, checkpoint: r.checkpoint, files: r.files };
      if (values.check) {
        await initBackend();
        report.check = await compareTfjsExportWithCheckpoint(r.checkpoint, r.dir);
      }
      return out.result(report, human);
    }
    const r = await exportOnnx(run, target);
    const report: ExportReport = { format, checkpoint: r.checkpoint, files: [r.file], bytes: r.bytes, opset: r.opset };
    if (values.check) {
      const status = onnxRuntimeStatus();
      if (status.available) {
        await initBackend();
        report.check = await compareOnnxWithTfjs(r.checkpoint, r.file);
      } else {
        report.check = { skipped: `ONNX Runtime is not available: ${status.reason}` };
      }
    }
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
