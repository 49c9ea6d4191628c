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
    const lines = predicted.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const top = lines.filter((l) => l.top).map((l) => l.top[0].label);
    expect(top.filter((label) => label === 'circle').length).toBeGreaterThanOrEqual(6);
  });

  it('fine-tunes from it for an epoch, and refuses a model flag that contradicts it in one line', () => {
    const tuned = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'tuned'), '--init', 'pretrained', '--epochs', '1', '--batch-size', '8', '--lr', '0.01', '--json');
    expect(tuned.code).toBe(0);
    const start = JSON.parse(tuned.stdout.split('\n')[0]);
    expect(start.config).toMatchObject({ scale: 0.5, groups: 3, stem: 'cifar' });
    const wrong = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'wrong'), '--init', 'pretrained', '--scale', '1.0');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('error: --scale 1.0 conflicts with --init pretrained, whose model has scale 0.5; leave --scale out');
    const missing = runCli({}, 'train', '--dataset', data, '--out', path.join(dir, 'missing'), '--init', path.join(dir, 'nope'));
    expect(missing.stderr.trim()).toMatch(/^error: --init .*nope: no such run or checkpoint folder/);
  });
});
