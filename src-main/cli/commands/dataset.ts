import { downloadCifar10, inspectDataset, UserError } from '../../engine/api';
import type { Command } from '../command';
import { bar, table } from '../output';
import { AUDIT_OPTIONS, AUDIT_USAGE, auditAction } from './dataset-audit';

export const datasetCommand: Command = {
  name: 'dataset',
  summary: 'Inspect or audit a dataset folder, or download CIFAR-10',
  usage: `dataset inspect <dir> [--json] | ${AUDIT_USAGE} | dataset download <dest-dir> [--url URL] [--json]`,
  options: { url: { type: 'string' }, ...AUDIT_OPTIONS },
  async run({ values, positionals, out, signal }) {
    const [action, dir] = positionals;
    if (action === 'inspect' && dir) return inspect(dir, out);
    if (action === 'audit' && dir) return auditAction(dir, { values, out, signal });
    if (action === 'download' && dir) {
      const path = await downloadCifar10(dir, {
        url: values.url as string | undefined,
        signal,
        onProgress: (received, total) =>
          out.progress(
            total ? `${bar(received / total)} ${(received / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB` : `${(received / 1e6).toFixed(1)} MB`,
          ),
      });
      out.result({ path }, (r: { path: string }) => `CIFAR-10 is ready in ${r.path}`);
      return;
    }
    throw new UserError(`usage: ${datasetCommand.usage}`);
  },
};

async function inspect(dir: string, out: Parameters<Command['run']>[0]['out']): Promise<void> {
  const result = await inspectDataset(dir);
  out.result(result, (r: typeof result) => {
    const splitNames = Object.keys(r.splits);
    const rows: (string | number)[][] = [['class', ...splitNames]];
    r.classes.forEach((name, i) => rows.push([name, ...splitNames.map((s) => r.splits[s].perClass[i])]));
    rows.push(['total', ...splitNames.map((s) => r.splits[s].count)]);
    const lines = [`${r.format} dataset at ${r.root}: ${r.classes.length} classes`, table(rows)];
    if (r.unlabeledCount > 0) lines.push(`${r.unlabeledCount} unlabeled images at the root`);
    if (r.skipped.length > 0) {
      lines.push(`${r.skipped.length} files skipped:`);
      lines.push(...r.skipped.map((s) => `  ${s.path}: ${s.reason}`));
    }
    return lines.join('\n');
  });
}
