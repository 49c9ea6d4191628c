#!/usr/bin/env node
// `npm start`: builds the renderer and the main side, rebuilds native modules for Electron's ABI,
// and opens the desktop app. Extra arguments go to Electron (`npm start -- --data-dir /tmp/x`).
//
// Native modules are rebuilt into dist-main/node_modules, which Node's resolution finds before the
// project's node_modules when the bundles in dist-main/ require them. The project's own copies keep
// Node's ABI, so `npm test`, `npm run serve` and the CLI keep working after `npm start`.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Modules that use V8's C++ API directly, so their binaries are tied to one runtime's ABI. */
const ABI_MODULES = ['better-sqlite3'];

const binary = electronBinary(root);
if (!binary.path) {
  console.error(
    `Electron's binary is not installed here (${binary.reason}); run \`npm run serve\` to open the same app in a browser.`,
  );
  process.exit(1);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

async function rebuildNativeModules() {
  const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const natives = join(root, 'dist-main/node_modules');
  const stamp = join(natives, '.electron-version');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === electronVersion) return;

  rmSync(natives, { recursive: true, force: true });
  mkdirSync(natives, { recursive: true });
  const dependencies = {};
  for (const name of ABI_MODULES) {
    const source = dirname(require.resolve(`${name}/package.json`));
    cpSync(source, join(natives, name), { recursive: true, filter: (path) => !/[\\/]build[\\/]/.test(path) });
    dependencies[name] = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')).version;
  }
  // @electron/rebuild walks the dependencies of the package.json at buildPath.
  const manifest = JSON.parse(readFileSync(join(root, 'dist-main/package.json'), 'utf8'));
  writeFileSync(join(root, 'dist-main/package.json'), `${JSON.stringify({ ...manifest, dependencies }, null, 2)}\n`);

  console.log(`Rebuilding ${ABI_MODULES.join(', ')} for Electron ${electronVersion} (fetches Electron's headers once)`);
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({
    buildPath: join(root, 'dist-main'),
    projectRootPath: join(root, 'dist-main'),
    electronVersion,
    onlyModules: ABI_MODULES,
    force: true,
  });
  writeFileSync(stamp, electronVersion);
}

run(npm, ['run', 'build:renderer']);
run(process.execPath, [join(root, 'scripts/build-main.mjs')]);
try {
  await rebuildNativeModules();
} catch (error) {
  console.error(`Could not rebuild native modules for Electron: ${error.message}`);
  process.exit(1);
}

const child = spawn(binary.path, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
