/**
 * Picks the TensorFlow.js backend once per process: CUDA (tfjs-node-gpu), then native CPU
 * (tfjs-node), then WebAssembly (SIMD), then plain JavaScript. Records why each better backend
 * did not load, so `info` can tell a person what to install.
 */
import os from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { UserError } from './errors';
import { registerWasmKernels } from './kernels/register-wasm-kernels';
import { requestedWasmThreads, setWasmBackendThreaded } from './wasm-threads';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  tfjsVersion: string;
  threads: number;
  simd: boolean;
  notLoaded: { name: BackendName; reason: string }[];
  /** Why `threads` has the value it has, when that is not obvious (wasm in Node). */
  threadsNote?: string;
}

export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const WASM_THREADS_NOTE =
  'tfjs-backend-wasm 4.22 itself runs single-threaded in Node (WASM_HAS_MULTITHREAD_SUPPORT is false for IS_NODE, ' +
  'tfjs issue #3830); SHUFFLENET_WASM_THREADS=N runs the threaded build';

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** A failed attempt: the backend could not be used, for `reason`. */
class NotLoaded extends Error {}

function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  return line.trim().slice(0, 300);
}

async function loadNative(name: BackendName, pkg: string): Promise<void> {
  // tfjs-node-gpu registers the same "tensorflow" backend; when it loaded without a GPU, its CPU
  // kernels are the "tensorflow" backend even if tfjs-node itself is absent.
  if (!tf.findBackendFactory('tensorflow')) {
    let entry: string;
    try {
      entry = createRequire(import.meta.url).resolve(pkg);
    } catch {
      throw new NotLoaded(`package ${pkg} not installed`);
    }
    try {
      await import(pathToFileURL(entry).href);
    } catch (error) {
      throw new NotLoaded(`${pkg} failed to load: ${firstLine(error)}`);
    }
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new NotLoaded(`${pkg} loaded but the "tensorflow" backend did not initialise`);
  }
  if (name === 'tensorflow-gpu' && !nativeSeesGpu()) {
    throw new NotLoaded(`${pkg} loaded but TensorFlow found no CUDA GPU`);
  }
}

/** tfjs-node-gpu silently falls back to TensorFlow's CPU kernels when CUDA finds no device. */
function nativeSeesGpu(): boolean {
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  return backend.isUsingGpuDevice !== false;
}

async function loadWasm(): Promise<{ simd: boolean; threads: number; threadsNote: string }> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new NotLoaded(`@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(error)}`);
  }
  registerWasmKernels();
  const requested = requestedWasmThreads();
  const { ok, threads } = await setWasmBackendThreaded(wasm, requested.threads);
  if (!ok) {
    throw new NotLoaded('the WebAssembly module did not initialise (see the warning printed above)');
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threadsNote =
    threads > 1
      ? `threaded SIMD build in Node on worker_threads (${requested.source}); SHUFFLENET_WASM_THREADS=1 runs one thread`
      : `single-threaded SIMD build (${requested.source}); ${WASM_THREADS_NOTE}`;
  return { simd, threads, threadsNote };
}

async function tryBackend(name: BackendName): Promise<Omit<BackendInfo, 'notLoaded'>> {
  const base = { name, tfjsVersion: tf.version.tfjs };
  const pkg = NATIVE_PACKAGES[name];
  if (pkg) {
    await loadNative(name, pkg);
    return { ...base, threads: os.availableParallelism(), simd: true };
  }
  if (name === 'wasm') {
    return { ...base, ...(await loadWasm()) };
  }
  if (!(await tf.setBackend('cpu'))) throw new NotLoaded('the pure-JavaScript backend did not initialise');
  return { ...base, threads: 1, simd: false, threadsNote: 'the pure-JavaScript backend runs on one thread' };
}

function requestedBackend(prefer: BackendName | undefined): { name: BackendName; source: string } | null {
  if (prefer !== undefined) {
    if (!isBackendName(prefer)) {
      throw new UserError(`Unknown backend "${prefer}": use one of ${BACKEND_NAMES.join(', ')}`);
    }
    return { name: prefer, source: 'the backend option' };
  }
  const fromEnv = process.env.SHUFFLENET_BACKEND?.trim();
  if (!fromEnv) return null;
  if (!isBackendName(fromEnv)) {
    throw new UserError(`SHUFFLENET_BACKEND="${fromEnv}" is not a backend: use one of ${BACKEND_NAMES.join(', ')}`);
  }
  return { name: fromEnv, source: 'SHUFFLENET_BACKEND' };
}

async function pick(prefer: BackendName | undefined): Promise<BackendInfo> {
  const forced = requestedBackend(prefer);
  const notLoaded: BackendInfo['notLoaded'] = [];
  if (forced) {
    for (const better of BACKEND_NAMES.slice(0, BACKEND_NAMES.indexOf(forced.name))) {
      notLoaded.push({ name: better, reason: `not tried: ${forced.source} asks for ${forced.name}` });
    }
    try {
      return { ...(await tryBackend(forced.name)), notLoaded };
    } catch (error) {
      if (!(error instanceof NotLoaded)) throw error;
      throw new UserError(`Backend "${forced.name}" (from ${forced.source}) is not available: ${error.message}`);
    }
  }
  for (const name of BACKEND_NAMES) {
    try {
      return { ...(await tryBackend(name)), notLoaded };
    } catch (error) {
      if (!(error instanceof NotLoaded)) throw error;
      notLoaded.push({ name, reason: error.message });
    }
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${notLoaded.map((n) => `${n.name}: ${n.reason}`).join('; ')}`);
}

/**
 * Initialises the best available backend, or the one named by `options.prefer` (which wins) or
 * env `SHUFFLENET_BACKEND`. Idempotent: later calls return the same info unless they force a
 * different backend. On wasm it registers the missing gradient kernels and the fast matMul routing.
 * @throws UserError when a forced backend cannot load (the message says why) or the name is unknown.
 */
export async function initBackend(options: { prefer?: BackendName } = {}): Promise<BackendInfo> {
  while (pending) await pending.catch(() => undefined);
  const wanted = requestedBackend(options.prefer)?.name;
  if (current && (wanted === undefined || wanted === current.name)) return current;
  pending = pick(options.prefer);
  try {
    current = await pending;
    return current;
  } finally {
    pending = null;
  }
}

/** The backend chosen by `initBackend`, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}
