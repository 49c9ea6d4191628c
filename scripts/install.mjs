#!/usr/bin/env node
// Installs the project without letting any install step reach past the npm registry, then tries
// Electron's binary on its own so that a machine without GitHub access still gets a working
// engine, CLI, serve mode and test suite.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// onnxruntime-node's postinstall would fetch CUDA parts; its CPU binary ships in the package (.npmrc says the same).
const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ONNXRUNTIME_NODE_INSTALL: 'skip' };
const useCi = existsSync('package-lock.json') && !process.argv.includes('--no-ci');
const install = spawnSync(npm, [useCi ? 'ci' : 'install', '--no-audit', '--no-fund'], { stdio: 'inherit', env });
if (install.status !== 0) process.exit(install.status ?? 1);

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
