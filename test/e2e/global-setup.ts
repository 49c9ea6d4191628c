import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { electronBinary } from '../../scripts/electron-binary.mjs';
import { rebuildNativeModules } from '../../scripts/electron-natives.mjs';

const root = join(import.meta.dirname, '..', '..');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
}

/**
 * Builds what the specs load, so they never test a stale build: the renderer (served by `serve`
 * and by the app protocol) and, where Electron exists, the main-side bundles and the native
 * modules for Electron's ABI.
 * E2E_SKIP_BUILD=1 skips both when iterating on specs alone.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.E2E_SKIP_BUILD === '1') return;
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  if (scripts['build:renderer']) run('npm', ['run', 'build:renderer', '--silent']);
  if (electronBinary(root).path) {
    run(process.execPath, [join(root, 'scripts/build-main.mjs')]);
    await rebuildNativeModules(root);
  }
}
