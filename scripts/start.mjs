#!/usr/bin/env node
// `npm start`: builds the renderer and the main side, rebuilds native modules for Electron's ABI,
// and opens the desktop app. Extra arguments go to Electron (`npm start -- --data-dir /tmp/x`).
// Native modules are rebuilt into dist-main/node_modules (scripts/electron-natives.mjs), so the
// project's own copies keep Node's ABI for the tests, the CLI and `npm run serve`.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';
import { rebuildNativeModules } from './electron-natives.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// Checked first: a machine without the binary learns it in a moment, not after two builds.
const binary = electronBinary(root);
if (!binary.path) {
  console.error(`Electron's binary is not installed here (${binary.reason}); run \`npm run serve\` to open the same app in a browser.`);
  process.exit(1);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(npm, ['run', 'build:renderer']);
run(process.execPath, [join(root, 'scripts/build-main.mjs')]);
try {
  await rebuildNativeModules(root);
} catch (error) {
  console.error(`Could not rebuild native modules for Electron: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}

const child = spawn(binary.path, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
