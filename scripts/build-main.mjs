#!/usr/bin/env node
// Bundles the three Electron-side entry points into dist-main/ with esbuild:
//   dist-main/electron/main.js    the main process (never tfjs: test/electron checks the metafile)
//   dist-main/preload/preload.js  the sandboxed preload (sandboxed preloads must be CommonJS)
//   dist-main/ml-host/main.js     the ML host that utilityProcess.fork starts
//   dist-main/ml-host/replica-worker.js  the ML host's training replicas (worker threads; the
//                                 trainer finds this file beside its own bundle)
//   dist-main/electron/bmp-worker.js  the media service's BMP decoder (a worker thread)
// Native modules and TensorFlow.js stay external: they are loaded from node_modules at run time,
// native ones rebuilt for Electron (scripts/start.mjs) or by electron-builder (scripts/dist.mjs).
// Each entry's esbuild metafile is written to dist-main/meta-<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = join(root, 'dist-main');

/** Packages resolved at run time instead of bundled. */
export const EXTERNAL = [
  'electron',
  'better-sqlite3',
  'sharp',
  '@img/*',
  '@tensorflow/*',
  // Optional native speed-ups of `ws`.
  'bufferutil',
  'utf-8-validate',
];

export const ENTRIES = [
  { name: 'main', entry: 'src-main/electron/main.ts', out: 'electron/main.js' },
  { name: 'preload', entry: 'src-main/preload/preload.ts', out: 'preload/preload.js' },
  { name: 'ml-host', entry: 'src-main/ml-host/main.ts', out: 'ml-host/main.js' },
  { name: 'replica-worker', entry: 'src-main/engine/ort-train/replica-worker.ts', out: 'ml-host/replica-worker.js' },
  // Beside the main bundle, where the media service looks for it (src-main/services/bmp-off-thread.ts).
  { name: 'bmp-worker', entry: 'src-main/services/bmp-worker.ts', out: 'electron/bmp-worker.js' },
];

/** Source files written as ES modules may use import.meta; in CommonJS it describes the bundle. */
const importMetaShim = {
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
};

/**
 * Builds the given entries (all by default) and returns their metafiles by name.
 * @param {{ only?: string[], outDir?: string, quiet?: boolean }} [options]
 */
export async function buildMain(options = {}) {
  const outDir = options.outDir ?? outRoot;
  const entries = ENTRIES.filter((e) => !options.only || options.only.includes(e.name));
  mkdirSync(outDir, { recursive: true });
  // CommonJS output inside a "type": "module" project needs its own package.json.
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs', private: true }, null, 2)}\n`);
  const metafiles = {};
  for (const e of entries) {
    const result = await build({
      entryPoints: [join(root, e.entry)],
      outfile: join(outDir, e.out),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // Electron 37 runs Node 22 and Chromium 138.
      target: e.name === 'preload' ? 'chrome138' : 'node22',
      external: EXTERNAL,
      sourcemap: 'linked',
      metafile: true,
      logLevel: options.quiet ? 'error' : 'warning',
      // A sandboxed preload may require nothing but 'electron'; the Node entries get import.meta.
      ...(e.name === 'preload' ? {} : importMetaShim),
      absWorkingDir: root,
    });
    writeFileSync(join(outDir, `meta-${e.name}.json`), JSON.stringify(result.metafile));
    metafiles[e.name] = result.metafile;
    if (!options.quiet) console.log(`built ${relative(root, join(outDir, e.out))}`);
  }
  return metafiles;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildMain().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
