import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder } from '../fixtures/image-folder';
import { runCli } from './run-cli';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cli-diverge-'));
  await makeImageFolder(path.join(root, 'data'), { perClass: 10, size: 16 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const train = (out: string, ...extra: string[]) =>
  runCli(
    { SHUFFLENET_CACHE_DIR: path.join(root, 'cache') },
    'train',
    '--dataset',
    path.join(root, 'data'),
    '--out',
    path.join(root, out),
    '--scale',
    '0.25',
    '--groups',
    '2',
    '--stem',
    'cifar',
    '--input-size',
    '16',
    '--epochs',
    '3',
    '--batch-size',
    '8',
    '--warmup-epochs',
    '0',
    '--no-augment',
    '--lr',
    '50',
    ...extra,
  );

describe('cli train at an absurd learning rate', () => {
  it('says in one line that the run diverged and what to change, and exits 3', () => {
    const { code, stdout, stderr } = train('human');
    expect(code, stderr).toBe(3);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Training diverged: the (mean )?training loss .+ Likely remedy: lower the learning rate \(try 10 instead of 50\)\.$/);
    expect(lines[1]).toMatch(/^Diverged after \d epochs in /);
    expect(stdout).not.toMatch(/Finished/);
  }, 240_000);

  it('ends its --json stream with a diverged done event', () => {
    const { code, stdout, stderr } = train('json', '--json');
    expect(code, stderr).toBe(3);
    const done = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(done).toMatchObject({ type: 'done', status: 'diverged', divergence: { remedy: 'lower the learning rate (try 10 instead of 50)' } });
  }, 240_000);
});
