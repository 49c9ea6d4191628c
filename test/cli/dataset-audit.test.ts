import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder } from '../fixtures/image-folder';
import { runCli } from './run-cli';
import { PRETRAINED_NAME } from '../../src-main/engine/checkpoint/pretrained';

let dir = '';
let data = '';
let moved = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-audit-'));
  data = path.join(dir, 'photos');
  await makeImageFolder(data, { perClass: 10, size: 32 });
  moved = path.join(data, 'stripes', 'was-plain-4.png');
  await rename(path.join(data, 'plain', '4.png'), moved);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('dataset audit', () => {
  it('prints one JSON object with the likely label errors, duplicates, class counts and warnings', () => {
    const { code, stdout, stderr } = runCli({}, 'dataset', 'audit', data, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]);
    expect(report.classCounts).toEqual({ circle: 10, plain: 9, stripes: 11 });
    expect(report.likelyMislabeled[0]).toMatchObject({ path: moved, label: 'stripes', suggested: 'plain' });
    expect(typeof report.likelyMislabeled[0].score).toBe('number');
    for (const group of report.duplicates) {
      expect(Array.isArray(group)).toBe(true);
      for (const p of group) expect(path.isAbsolute(p)).toBe(true);
    }
    expect(report.warnings.every((w: unknown) => typeof w === 'string')).toBe(true);
    expect(report.method.model.endsWith(PRETRAINED_NAME)).toBe(true);
    expect(report.method.thresholdFrom).toBe('calibrated');
  });

  it('flags from the threshold it is given, and says so', () => {
    const { code, stdout } = runCli({}, 'dataset', 'audit', data, '--threshold', '0.5', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.method).toMatchObject({ threshold: 0.5, thresholdFrom: 'given', temperature: null });
    expect(report.method.labelErrors).toMatch(/flagged when 1 - p\(label\) >= 0\.5 \(given\)$/);
    for (const m of report.likelyMislabeled) expect(m.flagged).toBe(m.score >= 0.5);
    expect(report.likelyMislabeled.some((m: { score: number }) => m.score >= 0.5)).toBe(true);
  });

  it('says in one line what is wrong with a folder it cannot audit', async () => {
    const cifar = path.join(dir, 'cifar');
    await mkdir(cifar);
    await writeFile(path.join(cifar, 'data_batch_1.bin'), Buffer.alloc(3073));
    const one = path.join(dir, 'one');
    await makeImageFolder(one, { classes: ['only'], perClass: 3 });
    const cases: [string[], RegExp][] = [
      [[path.join(dir, 'missing')], /^error: Folder not found: .*missing$/],
      [[cifar], /^error: .*cifar is a CIFAR-10 binary folder; dataset audit works on image folders \(one sub-folder per class\)$/],
      [[one], /^error: cannot audit .*one for label errors: it needs labeled images in at least 2 classes, and only only has any$/],
      [[data, '--threshold', '1.5'], /^error: threshold is a score 1 - p\(label\), from 0 to 1; got 1\.5$/],
      [
        [data, '--folds', '11'],
        /^error: cannot audit .*photos for label errors: 11-fold cross-validation needs at least 11 labeled images per class, and circle has 10, plain has 9$/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = runCli({}, 'dataset', 'audit', ...args, '--json');
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim()).toMatch(message);
    }
  });
});
