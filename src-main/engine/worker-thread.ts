/**
 * Starts a worker thread from a module beside the caller, in both ways the engine runs: the
 * app's bundle ships the compiled `.js` (scripts/build-main.mjs), while serve, the CLI and the
 * tests run the `.ts` source through tsx, whose loader a worker does not inherit, so the worker
 * registers it first.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** tsx's ES-module API (`register()`), as a URL a worker can import. */
function tsxApiUrl(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
}

/**
 * @param compiled URL of the worker's compiled module (`new URL('./name.js', import.meta.url)`);
 *   when it does not exist, the `.ts` file of the same name is run
 */
export function startWorker(compiled: URL, workerData: unknown): Worker {
  const js = fileURLToPath(compiled);
  if (existsSync(js)) return new Worker(js, { workerData });
  const ts = pathToFileURL(js.replace(/\.js$/, '.ts')).href;
  const bootstrap = `import(${JSON.stringify(tsxApiUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
