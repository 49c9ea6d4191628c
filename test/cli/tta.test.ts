import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainTinyRun } from '../engine/train/run-fixture';
import { runCli } from './run-cli';

const cli = (...args: string[]) => runCli({}, ...args);

describe('cli --tta', () => {
  let root: string;
  let fixture: Awaited<ReturnType<typeof trainTinyRun>>;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'studio-cli-tta-'));
    fixture = await trainTinyRun(root);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('eval --tta flip --json names the augmentation and differs from the plain evaluation', () => {
    const args = ['eval', '--run', fixture.run, '--dataset', fixture.dataset, '--split', 'validation', '--json'];
    const plain = cli(...args);
    const flipped = cli(...args, '--tta', 'flip');
    expect(plain.code, plain.stderr).toBe(0);
    expect(flipped.code, flipped.stderr).toBe(0);
    const [a, b] = [JSON.parse(plain.stdout), JSON.parse(flipped.stdout)];
    expect(a.tta).toBe('none');
    expect(b.tta).toBe('flip');
    expect(b.count).toBe(a.count);
    expect(b.loss).not.toBeCloseTo(a.loss, 6);
  });

  it('predict --tta flip --json says so in its last line', () => {
    const predicted = cli('predict', '--run', fixture.run, path.join(fixture.dataset, fixture.classes[0]), '--tta', 'flip', '--json');
    expect(predicted.code, predicted.stderr).toBe(0);
    const lines = predicted.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.at(-1).done).toMatchObject({ count: 10, skipped: 0, tta: 'flip' });
  });

  it('refuses an unknown --tta with one line naming the allowed values', () => {
    for (const command of [
      ['eval', '--run', fixture.run, '--dataset', fixture.dataset],
      ['predict', '--run', fixture.run, fixture.dataset],
    ]) {
      const bad = cli(...command, '--tta', 'rotate');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr.trim()).toBe('error: --tta must be one of none, flip, flip-shift; got "rotate"');
    }
  });
});
