/**
 * A damaged checkpoint, a model whose weights are NaN, and a full disk, met through the CLI in a
 * real process: each is one clear line on stderr and a non-zero exit, never a NaN% result or a
 * stack trace.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder } from '../fixtures/image-folder';
import { runCli, runCliLimited } from './run-cli';

const TINY = ['--scale', '0.25', '--groups', '2', '--stem', 'cifar', '--input-size', '16', '--batch-size', '8', '--lr', '0.05', '--warmup-epochs', '0'];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let data: string;
let run: string;
const checkpointOf = (runDir: string) => path.join(runDir, 'checkpoints', 'epoch-0001');

/** A failure told in the last line of stderr (returned): non-zero exit, no stack frame, no "internal error", no NaN on stdout. */
function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }): string {
  expect(result.code, result.stdout).not.toBe(0);
  const last = result.stderr.trim().split('\n').at(-1) ?? '';
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(result.stdout).not.toMatch(/NaN/);
  return last;
}

/** Mounts a tmpfs of `kilobytes` under the test folder, or says why it cannot (not root, no tmpfs). */
async function mountSmallDisk(name: string, kilobytes: number): Promise<{ mountPoint: string; unmount: () => void } | { skip: string }> {
  const mountPoint = path.join(dir, name);
  await mkdir(mountPoint);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil(kilobytes)}k`, 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status !== 0)
    return { skip: `cannot mount a small tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()}); skipping the real disk-full test` };
  return { mountPoint, unmount: () => spawnSync('umount', [mountPoint]) };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'studio-cli-integrity-'));
  data = path.join(dir, 'shapes');
  await makeImageFolder(data, { perClass: 10, size: 16 });
  run = path.join(dir, 'run');
  const trained = runCli({}, 'train', '--dataset', data, '--out', run, '--epochs', '1', ...TINY);
  expect(trained.code, trained.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkpoint integrity in the CLI', () => {
  it('predict and eval refuse a weights.bin with 4 KB overwritten in place, naming the file', async () => {
    const damaged = path.join(dir, 'damaged');
    await cp(run, damaged, { recursive: true });
    const weights = path.join(checkpointOf(damaged), 'weights.bin');
    const bytes = await readFile(weights);
    bytes.fill(0xff, 64 * 1024, 68 * 1024);
    await writeFile(weights, bytes);
    expect((await stat(weights)).size).toBe((await stat(path.join(checkpointOf(run), 'weights.bin'))).size);
    const { createdAt } = JSON.parse(await readFile(path.join(checkpointOf(damaged), 'manifest.json'), 'utf8'));
    const expected = `error: checkpoint ${weights} is corrupted: its SHA-256 does not match the manifest (written ${createdAt})`;

    for (const args of [
      ['predict', '--run', damaged, data],
      ['eval', '--run', damaged, '--dataset', data, '--split', 'validation'],
    ]) {
      const result = runCli({}, ...args);
      expect(expectOneLineError(result).startsWith(expected), result.stderr).toBe(true);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    // The intact run beside it still predicts.
    expect(runCli({}, 'predict', '--run', run, data).code).toBe(0);
  }, 120_000);

  it('a model whose weights are NaN (checksums intact) is a non-finite-output error on both runtimes, never NaN%', async () => {
    const nan = path.join(dir, 'nan');
    await cp(run, nan, { recursive: true });
    const checkpoint = checkpointOf(nan);
    const weights = path.join(checkpoint, 'weights.bin');
    const values = new Float32Array((await stat(weights)).size / 4).fill(Number.NaN);
    const bytes = new Uint8Array(values.buffer);
    await writeFile(weights, bytes);
    const manifestFile = path.join(checkpoint, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    manifest.sha256['weights.bin'] = sha256(bytes);
    await writeFile(manifestFile, JSON.stringify(manifest));

    for (const runtime of ['auto', 'tfjs']) {
      for (const args of [
        ['predict', '--run', nan, data],
        ['eval', '--run', nan, '--dataset', data, '--split', 'validation'],
      ]) {
        const result = runCli({}, ...args, '--runtime', runtime);
        expect(expectOneLineError(result), result.stderr).toBe(
          `error: the model of checkpoint ${checkpoint} gives non-finite outputs (NaN or infinity): its weights are broken, e.g. by a run that diverged; use an earlier checkpoint of the run or train again`,
        );
      }
    }
  }, 180_000);

  it('training onto a full disk says which folder is full, what the checkpoint needs and that the previous one is intact', async (context) => {
    // A tmpfs that holds a first checkpoint of the tiny run and half of a second.
    const files = await readdir(checkpointOf(run));
    const checkpointBytes = (await Promise.all(files.map((f) => stat(path.join(checkpointOf(run), f))))).reduce((sum, s) => sum + s.size, 0);
    const disk = await mountSmallDisk('small-disk', (checkpointBytes * 1.5) / 1024);
    if ('skip' in disk) return context.skip(disk.skip);
    try {
      const full = path.join(disk.mountPoint, 'run');
      const result = runCli({}, 'train', '--dataset', data, '--out', full, '--epochs', '2', ...TINY);
      const line = expectOneLineError(result);
      expect(line).toMatch(
        new RegExp(
          `^error: No space left on the disk of ${path.join(full, 'checkpoints')}: checkpoint epoch-0002 needs (\\d+) kB and (\\d+) kB are free there; ` +
            `the previous checkpoint ${checkpointOf(full)} is intact; free some space, then resume the run$`,
        ),
      );
      const [, needs, free] = /needs (\d+) kB and (\d+) kB/.exec(line) ?? [];
      expect(Number(needs) * 1000).toBeGreaterThanOrEqual(checkpointBytes * 0.98);
      expect(Number(needs) * 1000).toBeLessThanOrEqual(checkpointBytes * 1.02 + 1000);
      expect(Number(free) * 1000).toBeLessThan(checkpointBytes);

      // The previous checkpoint is whole (every file matches its recorded SHA-256) and still
      // predicts; the failed write left nothing behind.
      expect(await readdir(path.join(full, 'checkpoints'))).toEqual(['epoch-0001']);
      const { sha256: recorded } = JSON.parse(await readFile(path.join(checkpointOf(full), 'manifest.json'), 'utf8'));
      for (const [name, hash] of Object.entries(recorded)) expect(sha256(await readFile(path.join(checkpointOf(full), name))), name).toBe(hash);
      expect(runCli({}, 'predict', '--run', full, data).code).toBe(0);
    } finally {
      disk.unmount();
    }
  }, 180_000);

  it('a file system that refuses files that large (EFBIG) is one line naming the folder and the size, not an internal error', async () => {
    const sizes = await Promise.all((await readdir(checkpointOf(run))).map(async (f) => (await stat(path.join(checkpointOf(run), f))).size));
    const limitKb = Math.floor(Math.max(...sizes) / 1024 / 2);
    const out = path.join(dir, 'efbig-run');
    const result = runCliLimited(limitKb, {}, 'train', '--dataset', data, '--out', out, '--epochs', '1', ...TINY);
    expect(expectOneLineError(result)).toMatch(
      new RegExp(
        `^error: The file system of ${path.join(out, 'checkpoints')} refuses a file that large \\(EFBIG\\): checkpoint epoch-0001 needs \\d+ kB; .* the run has no earlier checkpoint$`,
      ),
    );
  }, 120_000);

  it('a disk already full when training starts is one line too, not an internal error', async (context) => {
    const disk = await mountSmallDisk('full-disk', 64);
    if ('skip' in disk) return context.skip(disk.skip);
    try {
      await writeFile(path.join(disk.mountPoint, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
      const result = runCli({}, 'train', '--dataset', data, '--out', path.join(disk.mountPoint, 'run'), '--epochs', '1', ...TINY);
      expect(expectOneLineError(result)).toMatch(/^error: the disk is full \(ENOSPC: no space left on device/);
    } finally {
      disk.unmount();
    }
  }, 120_000);
});
