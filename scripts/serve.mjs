#!/usr/bin/env node
// `npm run serve`: the app in a browser. Builds the renderer first when dist-renderer/ is missing or
// older than src-renderer/ (its output goes to stderr: stdout carries only the one URL line), then
// starts the server with the given arguments (`npm run serve -- --port 8080 --data-dir DIR`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const builtPage = join(root, 'dist-renderer/index.html');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const stale = !existsSync(builtPage) || newestMtime(join(root, 'src-renderer')) > statSync(builtPage).mtimeMs;
if (stale) {
  process.stderr.write('Building the app for the browser...\n');
  const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', process.stderr, 'inherit'],
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'src-main/server/main.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
server.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
