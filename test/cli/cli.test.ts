import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder, writeBrokenFiles } from '../fixtures/image-folder';
import { runCli } from './run-cli';

const cli = (...args: string[]) => runCli({}, ...args);

describe('cli', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'studio-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the exact model-summary of the tutorial model as JSON', () => {
    const { code, stdout } = cli('model-summary', '--scale', '2.0', '--groups', '3', '--classes', '10', '--stem', 'imagenet', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ trainableParams: 3_548_986, totalParams: 3_597_946, macs: 522_144_384 });
  });

  it('reports the backend that runs and why the native ones did not load', () => {
    const { code, stdout } = cli('info', '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.backend).toBe('wasm');
    expect(info.notLoaded.map((n: { name: string }) => n.name)).toEqual(expect.arrayContaining(['tensorflow-gpu', 'tensorflow']));
  });

  it('answers a user mistake with one line on stderr and a non-zero exit code', () => {
    const unknown = cli('trian');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('unknown command "trian"');

    const badScale = cli('model-summary', '--scale', '3');
    expect(badScale.code).not.toBe(0);
    expect(badScale.stderr.trim()).toMatch(/^error: --scale must be one of/);

    const wrongFolder = cli('dataset', 'inspect', dir, '--json');
    expect(wrongFolder.code).not.toBe(0);
    expect(wrongFolder.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrongFolder.stderr).not.toMatch(/\n\s+at /);
  });

  it('inspects, trains, evaluates and predicts an image folder end to end', async () => {
    const data = path.join(dir, 'shapes');
    const classes = await makeImageFolder(data, { perClass: 10, size: 16 });
    const inspect = cli('dataset', 'inspect', data, '--json');
    expect(inspect.code, inspect.stderr).toBe(0);
    const inspection = JSON.parse(inspect.stdout);
    expect(inspection.format).toBe('image-folder');
    expect(inspection.classes).toEqual([...classes].sort());

    const run = path.join(dir, 'run');
    const trained = cli(
      'train',
      '--dataset',
      data,
      '--out',
      run,
      '--scale',
      '0.25',
      '--groups',
      '2',
      '--stem',
      'cifar',
      '--input-size',
      '16',
      '--epochs',
      '1',
      '--batch-size',
      '8',
      '--lr',
      '0.05',
      '--warmup-epochs',
      '0',
      '--json',
    );
    expect(trained.code, trained.stderr).toBe(0);
    const events = trained.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const types = new Set(events.map((e) => e.type));
    for (const type of ['start', 'batch', 'epoch', 'checkpoint', 'done']) expect(types).toContain(type);

    const evaluated = cli('eval', '--run', run, '--dataset', data, '--split', 'validation', '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const evaluation = JSON.parse(evaluated.stdout);
    expect(evaluation.classes).toEqual(inspection.classes);
    expect(evaluation.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(evaluation.count);
    expect(evaluation.perClass).toHaveLength(classes.length);
    expect(evaluation.top5).toBeGreaterThanOrEqual(evaluation.top1);

    const toPredict = path.join(dir, 'to-predict');
    await makeImageFolder(path.join(toPredict, 'nested'), { classes: ['a'], perClass: 3, size: 20 });
    await writeBrokenFiles(toPredict);
    const predicted = cli('predict', '--run', run, toPredict, '--json');
    expect(predicted.code, predicted.stderr).toBe(0);
    const lines = predicted.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.filter((l) => 'top' in l)).toHaveLength(3);
    expect(
      lines
        .filter((l) => 'skipped' in l)
        .map((l) => path.basename(l.path))
        .sort(),
    ).toEqual(['broken.jpg', 'empty.png', 'truncated.png']);
    for (const line of lines.filter((l) => 'top' in l)) {
      expect(classes).toContain(line.top[0].label);
      expect(line.top[0].probability).toBeGreaterThan(0);
    }
  });
});
