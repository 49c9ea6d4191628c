/** `dataset audit <dir>`: likely label errors, duplicates and health warnings of an image folder. */
import { relative } from 'node:path';
import { auditFolder, type AuditReport } from '../../engine/api';
import type { Command, OptionSpec } from '../command';
import { numberOption } from '../args';
import { bar, table } from '../output';

export const AUDIT_USAGE = 'dataset audit <dir> [--run RUN] [--folds 5] [--threshold SCORE] [--json]';

export const AUDIT_OPTIONS: OptionSpec = {
  run: { type: 'string' },
  folds: { type: 'string' },
  threshold: { type: 'string' },
};

/** Issues shown below the flagged ones, so a person sees the next most suspicious few. */
const SHOWN_ISSUES = 10;

const STAGE_WORDS = { hashing: 'reading and hashing', features: 'computing features', 'cross-validation': 'cross-validating' } as const;

type Args = Parameters<Command['run']>[0];
type FolderReport = AuditReport & { root: string; classes: string[] };

/** Runs the audit with the shipped pretrained model unless --run names a run or checkpoint. */
export async function auditAction(dir: string, { values, out, signal }: Pick<Args, 'values' | 'out' | 'signal'>): Promise<void> {
  let shown = '';
  const report = await auditFolder(dir, {
    from: typeof values.run === 'string' ? values.run : 'pretrained',
    folds: numberOption(values, 'folds'),
    threshold: numberOption(values, 'threshold'),
    signal,
    onWalk: (seen, found) => {
      if (seen % 500 === 0) out.progress(`looking for images: ${found} found in ${seen} entries`);
    },
    onProgress: (stage, done, total) => {
      // One line per 5% step: without a terminal every progress call is a line of its own.
      const step = total > 0 ? Math.floor((done / total) * 20) : 20;
      if (`${stage}:${step}` === shown) return;
      shown = `${stage}:${step}`;
      out.progress(`${STAGE_WORDS[stage]} ${bar(total > 0 ? done / total : 1)} ${done}/${total}`);
    },
  });
  out.result(report, humanReport);
}

function humanReport(r: FolderReport): string {
  const shown = (p: string) => relative(r.root, p) || p;
  const total = Object.values(r.classCounts).reduce((a, b) => a + b, 0);
  const lines = [`Audit of ${r.root}: ${r.classes.length} classes, ${total} labeled images (model ${r.method.model})`, ''];
  lines.push(r.warnings.length > 0 ? 'Warnings:' : 'No warnings.', ...r.warnings.map((w) => `  - ${w}`), '');
  if (r.likelyMislabeled.length > 0) {
    const flagged = r.likelyMislabeled.filter((m) => m.flagged).length;
    const listed = r.likelyMislabeled.slice(0, Math.max(flagged, SHOWN_ISSUES));
    lines.push(
      `Label issues, most suspicious first (score = 1 - p(label); * = flagged, score >= ${r.method.threshold}${r.method.thresholdFrom === 'calibrated' ? ', calibrated' : ''}): ${flagged} flagged of ${r.likelyMislabeled.length}`,
    );
    lines.push(
      table([
        ['', 'score', 'label', 'suggested', 'file'],
        ...listed.map((m) => [m.flagged ? '*' : '', m.score.toFixed(3), m.label, m.suggested, shown(m.path)]),
      ]),
    );
    if (listed.length < r.likelyMislabeled.length) lines.push(`(${r.likelyMislabeled.length - listed.length} more with lower scores in --json)`);
    lines.push('');
  }
  if (r.duplicateGroups.length > 0) {
    lines.push(`Duplicate groups (${r.duplicateGroups.length}):`);
    lines.push(...r.duplicateGroups.map((g) => `  ${g.kind}, ${g.scope}: ${g.paths.map(shown).join('  ')}`), '');
  }
  if (r.smallImages.length > 0) lines.push('Small images:', ...r.smallImages.map((s) => `  ${shown(s.path)} (${s.width}x${s.height})`), '');
  if (r.unreadable.length > 0) lines.push('Unreadable files:', ...r.unreadable.map((u) => `  ${shown(u.path)}: ${u.reason}`), '');
  lines.push(table([['class', 'images'], ...Object.entries(r.classCounts)]));
  if (r.method.crossValidationAccuracy !== null)
    lines.push('', `Out-of-sample accuracy of the ${r.method.folds}-fold heads: ${(r.method.crossValidationAccuracy * 100).toFixed(1)}%`);
  return lines.join('\n');
}
