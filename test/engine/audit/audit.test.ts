import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDataset, type AuditStage } from '../../../src-main/engine/audit/audit';
import { auditFolder } from '../../../src-main/engine/audit/audit-folder';
import { AbortedError, UserError } from '../../../src-main/engine/errors';
import { makeImageFolder, syntheticImage } from '../../fixtures/image-folder';

let dir = '';
let folder = '';
/** The two files moved into a wrong class folder, and the class each came from. */
let moved: { path: string; from: string }[] = [];
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audit-'));
  folder = path.join(dir, 'photos');
  await makeImageFolder(folder, { perClass: 12, size: 32 });
  moved = [
    { path: path.join(folder, 'stripes', 'was-circle-3.png'), from: 'circle' },
    { path: path.join(folder, 'circle', 'was-plain-5.png'), from: 'plain' },
  ];
  await rename(path.join(folder, 'circle', '3.png'), moved[0].path);
  await rename(path.join(folder, 'plain', '5.png'), moved[1].path);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('auditFolder', () => {
  it('lists the files moved into a wrong class folder first, with the class they came from, and reports each stage', async () => {
    const stages: AuditStage[] = [];
    const report = await auditFolder(folder, {
      from: 'pretrained',
      onProgress: (stage, done, total) => {
        if (stages.at(-1) !== stage) stages.push(stage);
        expect(done).toBeLessThanOrEqual(total);
      },
    });
    expect(stages).toEqual(['hashing', 'features', 'cross-validation']);
    expect(report.classCounts).toEqual({ circle: 12, plain: 11, stripes: 13 });
    const top = report.likelyMislabeled.slice(0, 2);
    expect(top.map((m) => m.path).sort()).toEqual(moved.map((m) => m.path).sort());
    for (const m of top) {
      expect(m.suggested).toBe(moved.find((x) => x.path === m.path)?.from);
      expect(m.score).toBeGreaterThan(0.98);
      expect(m.flagged).toBe(true);
      expect(path.isAbsolute(m.path)).toBe(true);
    }
    const warning = report.warningDetails.find((w) => w.kind === 'mislabeled');
    expect(warning?.message).toMatch(/^(1 image very likely carries|\d+ images very likely carry) the wrong label$/);
    expect(warning?.paths).toEqual(expect.arrayContaining(moved.map((m) => m.path)));
    // The threshold is calibrated on the heads (flag-threshold.ts), and the method says so.
    expect(report.method).toMatchObject({ folds: 5, thresholdFrom: 'calibrated' });
    expect(report.method.threshold).toBeGreaterThan(0.9);
    expect(report.method.temperature).toBeGreaterThan(0);
    expect(report.method.labelErrors).toMatch(
      /flagged when 1 - p\(label\) >= 0\.\d+ \(calibrated: at temperature \d+\.\d\d the heads expect \d\.\d correctly labeled images of 36 to score this high\)$/,
    );
    expect(report.method.crossValidationAccuracy).toBeGreaterThan(0.8);
  });

  it('stops with AbortedError when its signal fires during a stage', async () => {
    for (const at of ['features', 'cross-validation'] as const) {
      const controller = new AbortController();
      const audit = auditFolder(folder, {
        from: 'pretrained',
        signal: controller.signal,
        onProgress: (stage) => {
          if (stage === at) controller.abort();
        },
      });
      await expect(audit).rejects.toBeInstanceOf(AbortedError);
    }
  });

  it('refuses a folder whose classes are too few or too small for the folds, in one line, unless the label check is optional', async () => {
    const one = path.join(dir, 'one-class');
    await makeImageFolder(one, { classes: ['only'], perClass: 6 });
    await expect(auditFolder(one, { from: 'pretrained' })).rejects.toThrow(
      /^cannot audit .*one-class for label errors: it needs labeled images in at least 2 classes, and only only has any$/,
    );
    const partial = await auditFolder(one, { from: 'pretrained', labelCheckOptional: true });
    expect(partial.likelyMislabeled).toEqual([]);
    expect(partial.warnings.at(-1)).toBe('label errors were not looked for: it needs labeled images in at least 2 classes, and only only has any');
    await expect(auditFolder(folder, { from: 'pretrained', folds: 12 })).rejects.toThrow(
      /12-fold cross-validation needs at least 12 labeled images per class, and plain has 11$/,
    );
  });
});

describe('auditDataset', () => {
  it('reports small, unreadable and imbalanced images, and looks for no label errors where a class is too small', async () => {
    const small = path.join(dir, 'small');
    await mkdir(small);
    const items = [];
    for (let i = 0; i < 12; i++) {
      const file = path.join(small, `big-${i}.png`);
      await writeFile(file, await syntheticImage(0, i, 32));
      items.push({ path: file, label: 0, split: 'train' });
    }
    for (let i = 0; i < 2; i++) {
      const file = path.join(small, `tiny-${i}.png`);
      await writeFile(file, await syntheticImage(1, i, 8));
      items.push({ path: file, label: 1, split: 'train' });
    }
    const broken = path.join(small, 'broken.png');
    await writeFile(broken, Buffer.alloc(0));
    items.push({ path: broken, label: 1 });
    const report = await auditDataset({
      items,
      classes: ['big', 'tiny'],
      from: 'pretrained',
      skipped: [{ path: path.join(small, 'loop'), reason: 'link loop' }],
    });
    expect(report.classCounts).toEqual({ big: 12, tiny: 2 });
    expect(report.smallImages).toEqual([0, 1].map((i) => ({ path: path.join(small, `tiny-${i}.png`), width: 8, height: 8 })));
    expect(report.unreadable).toEqual([
      { path: path.join(small, 'loop'), reason: 'link loop' },
      { path: broken, reason: 'empty file (0 bytes)' },
    ]);
    expect(report.likelyMislabeled).toEqual([]);
    expect(report.method.crossValidationAccuracy).toBeNull();
    expect(report.warnings).toEqual([
      'classes are imbalanced: big has 12 images, 6.0 times the 2 of tiny',
      '14 images are copies of one another within a class',
      "2 images are smaller than 16x16 pixels, under half the model's 32x32 input",
      '2 files could not be read',
      'label errors were not looked for: 5-fold cross-validation needs at least 5 labeled images per class, and tiny has 2',
    ]);
    expect(report.warningDetails.find((w) => w.kind === 'small')?.paths).toEqual(report.smallImages.map((s) => s.path));
  });

  it('refuses a relative path and a label that is not a class', async () => {
    await expect(auditDataset({ items: [{ path: 'a.png', label: 0 }], classes: ['a'], from: 'pretrained' })).rejects.toBeInstanceOf(UserError);
    await expect(auditDataset({ items: [{ path: '/a.png', label: 2 }], classes: ['a'], from: 'pretrained' })).rejects.toThrow(/label 2 is not a class index/);
  });
});
