import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = resolve('scripts/install.mjs');
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runInstall(cwd: string) {
  return spawnSync(process.execPath, [script], { cwd, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
}

describe('scripts/install.mjs', () => {
  it('does not reinstall when node_modules was installed from this very lock file', () => {
    dir = mkdtempSync(join(tmpdir(), 'install-stamp-'));
    const lock = JSON.stringify({ name: 'x', lockfileVersion: 3, packages: {} });
    writeFileSync(join(dir, 'package-lock.json'), lock);
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules/.shufflenet-installed'), createHash('sha256').update(lock).update(process.version).digest('hex'));
    const result = runInstall(dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('nothing to install');
  });

  it('installs when the lock file changed since (npm ci runs, and fails here for want of a package.json)', () => {
    dir = mkdtempSync(join(tmpdir(), 'install-stamp-'));
    writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules/.shufflenet-installed'), 'an older lock file');
    const result = runInstall(dir);
    expect(result.stdout).not.toContain('nothing to install');
    expect(result.status).not.toBe(0);
  });
});
