#!/usr/bin/env node
// Installs the project without letting any install step reach past the npm registry, then tries
// Electron's binary on its own so that a machine without GitHub access still gets a working
// engine, CLI, serve mode and test suite.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// onnxruntime-node's postinstall would fetch CUDA parts; its CPU binary ships in the package (.npmrc says the same).
const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ONNXRUNTIME_NODE_INSTALL: 'skip' };
const useCi = existsSync('package-lock.json') && !process.argv.includes('--no-ci');

// `npm ci` deletes node_modules and reinstalls everything (two minutes here), even when nothing
// changed. A stamp of the lock file, written after the last good install, lets a repeated
// `node scripts/install.mjs && npm start` go straight on. `--force` reinstalls anyway.
const STAMP = 'node_modules/.shufflenet-installed';
const lockHash = existsSync('package-lock.json') ? createHash('sha256').update(readFileSync('package-lock.json')).update(process.version).digest('hex') : null;
const upToDate = lockHash !== null && !process.argv.includes('--force') && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === lockHash;
if (upToDate) {
  console.log('node_modules matches package-lock.json: nothing to install (--force reinstalls).');
} else {
  const install = spawnSync(npm, [useCi ? 'ci' : 'install', '--no-audit', '--no-fund'], { stdio: 'inherit', env });
  if (install.status !== 0) process.exit(install.status ?? 1);
  if (lockHash !== null) writeFileSync(STAMP, lockHash);
  console.log(
    "About the warnings above: EBADENGINE comes from electron-builder's @electron/rebuild, which asks for Node 22 only when packaging installers; " +
      'the app, the CLI and the tests run on Node 20. "Unknown project config onnxruntime-node-install" is .npmrc telling onnxruntime-node not to download CUDA parts.',
  );
}

// `--cuda`: onnxruntime-node's CUDA 12 provider (about 400 MB from NuGet), opt-in. It runs after
// the install step above, also when the stamp skipped that step, so it is never skipped by it.
if (process.argv.includes('--cuda')) {
  const cuda = spawnSync(process.execPath, ['node_modules/onnxruntime-node/script/install.js'], {
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
  });
  console.log(
    cuda.status === 0
      ? 'CUDA provider: installed; `npm run cli -- info` shows whether a GPU answers (docs/gpu.md says what CUDA 12 needs).'
      : `CUDA provider: not installed (exit ${cuda.status}; ONNX Runtime offers it for linux-x64 and win32-x64 and downloads it from api.nuget.org).`,
  );
  if (cuda.status !== 0) process.exit(cuda.status ?? 1);
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('Electron binary: skipped (ELECTRON_SKIP_BINARY_DOWNLOAD is set).');
} else {
  const electron = spawnSync(process.execPath, ['node_modules/electron/install.js'], { encoding: 'utf8' });
  console.log(
    electron.status === 0
      ? 'Electron binary: installed.'
      : 'Electron binary: could not be downloaded here; desktop tests will skip, and `npm run serve` runs the same app in a browser.',
  );
}
