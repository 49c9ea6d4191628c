// Native modules for Electron's ABI, kept apart from the project's own.
//
// The bundles in dist-main/ resolve packages from dist-main/node_modules before the project's
// node_modules, so copies rebuilt there for Electron shadow the Node builds only inside Electron.
// `npm test`, `npm run serve` and the CLI keep the Node builds.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Modules that use V8's C++ API directly, so their binaries are tied to one runtime's ABI. */
export const ABI_MODULES = ['better-sqlite3'];

/**
 * Rebuilds ABI_MODULES for the installed Electron into `<root>/dist-main/node_modules`, once per
 * Electron version. Fetches Electron's headers (or a prebuilt binary) on the first run.
 * @param {string} root the project folder
 */
export async function rebuildNativeModules(root) {
  const require = createRequire(join(root, 'package.json'));
  const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const distMain = join(root, 'dist-main');
  const natives = join(distMain, 'node_modules');
  const stamp = join(natives, '.electron-version');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === electronVersion) return;

  rmSync(natives, { recursive: true, force: true });
  mkdirSync(natives, { recursive: true });
  const dependencies = {};
  for (const name of ABI_MODULES) {
    const source = dirname(require.resolve(`${name}/package.json`));
    cpSync(source, join(natives, name), { recursive: true, filter: (path) => !/^[\\/]build([\\/]|$)/.test(path.slice(source.length)) });
    dependencies[name] = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')).version;
  }
  // @electron/rebuild walks the dependencies of the package.json at buildPath.
  const manifestPath = join(distMain, 'package.json');
  const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : { type: 'commonjs', private: true };
  writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, dependencies }, null, 2)}\n`);

  console.log(`Rebuilding ${ABI_MODULES.join(', ')} for Electron ${electronVersion}`);
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({ buildPath: distMain, projectRootPath: distMain, electronVersion, onlyModules: ABI_MODULES, force: true });
  writeFileSync(stamp, electronVersion);
}
