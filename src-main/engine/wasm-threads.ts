/**
 * Runs tfjs-backend-wasm's threaded-SIMD build in Node, so XNNPACK's matMul and convolution
 * kernels use more than one core.
 *
 * tfjs 4.22 turns the threaded build off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false for
 * IS_NODE, tfjs issue #3830) because its Emscripten glue expects Web Workers: it hands the pthread
 * worker a Blob URL for the worker script and a Blob of the bundled factory as the main script,
 * neither of which a worker_threads Worker can load. Three things make it work here:
 * - a `Worker` global that starts the package's own pthread worker source (wasm-out/) with
 *   worker_threads and rewrites the "load" message to point at the factory file in wasm-out/;
 * - the flag forced on and `setThreadsCount(n)` before the backend initialises;
 * - os.cpus() reporting 2n cores while the module starts, because the C side caps the thread
 *   count at half the logical cores (`emscripten_num_logical_cores() / 2`), which is 1 on a
 *   2-core machine.
 * Pthread workers are never ref'd, so they do not keep the process alive at exit, and the pool
 * workers XNNPACK does not use are terminated after start-up.
 */
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Worker as NodeWorker, type TransferListItem } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { UserError } from './errors';

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

/** The pthread pool the threaded build creates: more threads than this would spawn new workers. */
export const MAX_WASM_THREADS = 8;

/** Threads used when SHUFFLENET_WASM_THREADS is unset: one per logical core, at most this many. */
const DEFAULT_MAX_THREADS = 4;

/**
 * On the 2-core reference machine two threads trained 30-40% faster than one while the second
 * core was free, and 15-35% slower while another process kept a core busy (docs/benchmarks.md).
 */
function defaultThreads(): number {
  return Math.min(DEFAULT_MAX_THREADS, os.availableParallelism());
}

/**
 * The wasm thread count asked for: env SHUFFLENET_WASM_THREADS (0 or 1 = single-threaded build,
 * N = N threads, at most 8), else one per logical core up to 4.
 * @throws UserError when the variable is not a whole number from 0 to 8.
 */
export function requestedWasmThreads(): { threads: number; source: string } {
  const raw = process.env.SHUFFLENET_WASM_THREADS?.trim();
  if (!raw) return { threads: defaultThreads(), source: 'default: one per logical core, up to 4' };
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_WASM_THREADS) {
    throw new UserError(`SHUFFLENET_WASM_THREADS="${raw}" must be a whole number from 0 to ${MAX_WASM_THREADS}`);
  }
  return { threads: Math.max(1, n), source: `SHUFFLENET_WASM_THREADS=${raw}` };
}

interface PthreadRuntime {
  unusedWorkers: { terminate(): unknown }[];
  runningWorkers: unknown[];
}

function wasmOutFile(name: string): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out', name);
}

/** A worker_threads Worker that behaves like the Web Worker Emscripten's pthread glue expects. */
function pthreadWorkerClass(): typeof NodeWorker {
  const require = createRequire(import.meta.url);
  const source = (require(wasmOutFile('tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }).wasmWorkerContents;
  // The source is a template literal holding "\n" escapes as real newlines inside string literals.
  const workerCode = source.replace(/\n/g, '\\n');
  const mainScript = wasmOutFile('tfjs-backend-wasm-threaded-simd.js');

  return class PthreadWorker extends NodeWorker {
    constructor() {
      // No inherited flags: `--input-type=module` would make the eval'd CommonJS source fail, and
      // loaders such as tsx would only slow each worker's start.
      super(workerCode, { eval: true, execArgv: [] });
      this.unref();
    }

    /** Emscripten refs a worker while its pthread runs; XNNPACK's threads run for the whole process. */
    override ref(): void {}

    override postMessage(message: unknown, transferList?: readonly TransferListItem[]): void {
      const msg = message as { cmd?: string } | null;
      super.postMessage(msg?.cmd === 'load' ? { ...msg, urlOrBlob: mainScript } : message, transferList);
    }
  };
}

let workerInstalled = false;

function installWorkerGlobal(): void {
  if (workerInstalled) return;
  const PthreadWorker = pthreadWorkerClass();
  // The Emscripten glue assigns worker_threads' Worker to the global on start-up; the setter
  // ignores that so later pthread creations still get the shim.
  Object.defineProperty(globalThis, 'Worker', { get: () => PthreadWorker, set: () => undefined, configurable: true });
  workerInstalled = true;
}

/** os.cpus() with `count` entries, for the C side's core count while the module starts. */
function withReportedCores<T>(count: number, run: () => Promise<T>): Promise<T> {
  const real = os.cpus;
  const patched = (): os.CpuInfo[] => {
    const cpus = real();
    return Array.from({ length: count }, (_, i) => cpus[i % cpus.length]);
  };
  (os as { cpus: () => os.CpuInfo[] }).cpus = patched;
  return run().finally(() => {
    (os as { cpus: () => os.CpuInfo[] }).cpus = real;
  });
}

/** Stops the pre-spawned pthread workers no thread runs on (each is a V8 isolate). */
function releaseIdleWorkers(): void {
  const backend = tf.backend() as unknown as BackendWasm & { wasm: { PThread?: PthreadRuntime } };
  const pthreads = backend.wasm.PThread;
  if (!pthreads) return;
  for (const worker of pthreads.unusedWorkers.splice(0)) void worker.terminate();
}

/**
 * Initialises the wasm backend (`tf.setBackend('wasm')`) on `threads` threads: the threaded-SIMD
 * build through worker_threads when threads > 1 (falling back to the single-threaded SIMD build if
 * it does not start), the single-threaded SIMD build otherwise.
 * Must run before the wasm backend first initialises in this process.
 * @returns whether the backend initialised, and the thread count XNNPACK really uses.
 */
export async function setWasmBackendThreaded(wasm: WasmPackage, threads: number): Promise<{ ok: boolean; threads: number }> {
  if (threads > 1) {
    installWorkerGlobal();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    if (await withReportedCores(2 * threads, () => tf.setBackend('wasm'))) {
      releaseIdleWorkers();
      return { ok: true, threads: wasm.getThreadsCount() };
    }
    wasm.setThreadsCount(1);
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const ok = await tf.setBackend('wasm');
  return { ok, threads: ok ? wasm.getThreadsCount() : 0 };
}
