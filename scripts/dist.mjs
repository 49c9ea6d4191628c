#!/usr/bin/env node
// `npm run dist`: builds the renderer and the main side, then the installers of electron-builder.yml
// for this platform (Linux: AppImage and deb; Windows: nsis; macOS: dmg) into release/.
// Extra arguments go to electron-builder (`npm run dist -- --linux deb`).
//
// electron-builder downloads Electron's release archive and rebuilds native modules for it inside
// node_modules. The Node build of better-sqlite3 is put back afterwards, so the tests, the CLI and
// `npm run serve` keep working on the machine that built the installers.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return result.status ?? 1;
}

function mustRun(command, args) {
  const status = run(command, args);
  if (status !== 0) process.exit(status);
}

const OFFLINE_HINT =
  "electron-builder downloads Electron's release archive (and Electron's headers for native modules); on a machine that cannot reach them, `npm run serve` runs the same app in a browser.";

// Checked first, as `npm start` does: where Electron's binary could not be downloaded, its release
// archive cannot be either, and electron-builder would end in a stack trace after two builds.
const binary = electronBinary(root);
if (!binary.path) {
  console.error(`Cannot build installers: Electron's binary is not installed here (${binary.reason}). ${OFFLINE_HINT}`);
  process.exit(1);
}

mustRun(npm, ['run', 'build:renderer']);
mustRun(process.execPath, [join(root, 'scripts/build-main.mjs')]);

const nodeBuild = join(root, 'node_modules/better-sqlite3/build');
const backup = join(root, '.cache/dist/better-sqlite3-build');
rmSync(backup, { recursive: true, force: true });
if (existsSync(nodeBuild)) cpSync(nodeBuild, backup, { recursive: true });

const status = run(npx, ['electron-builder', '--publish', 'never', ...process.argv.slice(2)]);

if (existsSync(backup)) {
  rmSync(nodeBuild, { recursive: true, force: true });
  cpSync(backup, nodeBuild, { recursive: true });
  rmSync(backup, { recursive: true, force: true });
}
if (status !== 0) {
  console.error(`electron-builder failed. ${OFFLINE_HINT}`);
  process.exit(status);
}
console.log('Installers are in release/.');
