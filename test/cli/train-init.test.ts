import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder } from '../fixtures/image-folder';
import { runCli } from './run-cli';

let dir = '';
let data = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'train-init-'));
  data = path.join(dir, 'photos');
  await makeImageFolder(data, { perClass: 8, size: 32 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train --init (the shipped pretrained model)', () => {
  it('fits a head on the frozen backbone with --linear-probe and leaves a run predict can use', () => {
    const run = path.join(dir, 'probe');
    const trained = runCli({}, 'train', '--dataset', data, '--out', run, '--init', 'pretrained', '--linear-probe', '--json');
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const done = JSON.parse(trained.stdout.trim().split('\n').at(-1) as string);
    expect(done).toMatchObject({ status: 'completed', linearProbe: true, classes: ['circle', 'plain', 'stripes'] });
    expect(done.valAccuracy).toBeGreaterThanOrEqual(0.8);
    const predicted = runCli({}, 'predict', '--run', run, path.join(data, 'circle'), '--json');
    expect(predicted.code).toBe(0);
    const lines = predicted.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const top = lines.filter((l) => l.top).map((l) => l.top[0].label);
    expect(top.filter((label) => label === 'circle').length).toBeGreaterThanOrEqual(6);
  });

  it('fine-tunes from it for an epoch, and refuses a model flag that contradicts it in one line', () => {
    const tuned = runCli(
      {},
      'train',
      '--dataset',
      data,
      '--out',
      path.join(dir, 'tuned'),
      '--init',
      'pretrained',
      '--epochs',
      '1',
      '--batch-size',
      '8',
      '--lr',
      '0.01',
      '--json',
    );
    expect(tuned.code).toBe(0);
    const start = JSON.parse(tuned.stdout.split('\n')[0]);
    expect(start.config).toMatchObject({ scale: 1, groups: 3, stem: 'cifar' });
    const wrong = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'wrong'), '--init', 'pretrained', '--scale', '0.5');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('error: --scale 0.5 conflicts with --init pretrained, whose model has scale 1; leave --scale out');
    const missing = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'missing'), '--init', path.join(dir, 'nope'));
    expect(missing.stderr.trim()).toMatch(/^error: --init .*nope: no such run or checkpoint folder/);
  });

  it('takes --head-only-epochs and --backbone-lr-scale into the run, and refuses them without --init in one line', () => {
    const tuned = runCli(
      {},
      'train',
      '--dataset',
      data,
      '--out',
      path.join(dir, 'phased'),
      '--init',
      'pretrained',
      '--epochs',
      '2',
      '--head-only-epochs',
      '1',
      '--backbone-lr-scale',
      '0.1',
      '--batch-size',
      '8',
      '--lr',
      '0.01',
      '--json',
    );
    expect(tuned.stderr).toBe('');
    expect(tuned.code).toBe(0);
    const lines = tuned.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].config).toMatchObject({ headOnlyEpochs: 1, backboneLrScale: 0.1, epochs: 2 });
    expect(lines.at(-1)).toMatchObject({ status: 'completed', epochsCompleted: 2 });
    const scratch = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'scratch-phased'), '--head-only-epochs', '2');
    expect(scratch.code).toBe(1);
    expect(scratch.stderr.trim()).toBe('error: --head-only-epochs tunes a model started from another: add --init pretrained or --init <run-dir>');
    const tooMany = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'long'), '--init', 'pretrained', '--epochs', '2', '--head-only-epochs', '3');
    expect(tooMany.stderr.trim()).toBe('error: headOnlyEpochs must be a whole number from 0 to epochs (2), got 3');
    const bad = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'fast'), '--init', 'pretrained', '--backbone-lr-scale', '2');
    expect(bad.stderr.trim()).toBe('error: backboneLrScale must be above 0 and at most 1, got 2');
  });

  it('takes --head-lr-scale into a run from scratch, and refuses a share above 1 in one line', () => {
    const slowHead = runCli(
      {},
      'train',
      '--dataset',
      data,
      '--out',
      path.join(dir, 'slow-head'),
      '--scale',
      '0.25',
      '--epochs',
      '1',
      '--batch-size',
      '8',
      '--head-lr-scale',
      '0.1',
      '--json',
    );
    expect(slowHead.stderr).toBe('');
    expect(JSON.parse(slowHead.stdout.trim().split('\n')[0]).config).toMatchObject({ headLrScale: 0.1 });
    const bad = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'fast-head'), '--head-lr-scale', '2');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('error: headLrScale must be above 0 and at most 1, got 2');
  });
});
