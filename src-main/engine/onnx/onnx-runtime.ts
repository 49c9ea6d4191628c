/**
 * ONNX Runtime (onnxruntime-node, an optional dependency) loaded lazily: the first call requires
 * it, later calls reuse it or the reason it could not load. Sessions open on the device asked for
 * (runtime/devices.ts picks it: CUDA, WebGPU or the CPU); without one, on CUDA when its provider libraries
 * were installed beside the binding, the CPU provider otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { OnnxDevice } from '../../contract/devices';

/** The parts of the onnxruntime-node API used here (declared locally: the package is optional). */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

interface OrtSessionOptions {
  executionProviders?: string[];
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  enableCpuMemArena?: boolean;
}

interface OrtModule {
  InferenceSession: { create(model: string | Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string } };
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
}

export type OnnxStatus = { available: true; version: string; cudaInstalled: boolean; webgpuBundled: boolean } | { available: false; reason: string };

/** The execution providers the app uses (listed once, in contract/devices.ts). */
export type { OnnxDevice };

const PACKAGE = 'onnxruntime-node';
let loaded: { ort: OrtModule | null; status: OnnxStatus } | null = null;

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').trim().slice(0, 300);
}

/** The CUDA provider ships separately (its postinstall download, skipped by the project's .npmrc). */
function cudaProviderInstalled(entry: string): boolean {
  const binDir = path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(path.join(binDir, lib));
}

function load(): { ort: OrtModule | null; status: OnnxStatus } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(PACKAGE);
  } catch {
    loaded = { ort: null, status: { available: false, reason: `package ${PACKAGE} is not installed` } };
    return loaded;
  }
  try {
    const ort = require(entry) as OrtModule;
    const webgpuBundled = ort.listSupportedBackends?.().some((b) => b.name === 'webgpu' && b.bundled) ?? false;
    const status: OnnxStatus = { available: true, version: ort.env.versions?.node ?? 'unknown', cudaInstalled: cudaProviderInstalled(entry), webgpuBundled };
    loaded = { ort, status };
  } catch (error) {
    loaded = { ort: null, status: { available: false, reason: `${PACKAGE} failed to load: ${firstLine(error)}` } };
  }
  return loaded;
}

/** Whether ONNX Runtime loads here (cached after the first call), its version, or why not. */
export function onnxRuntimeStatus(): OnnxStatus {
  return load().status;
}

function requireOrt(): OrtModule {
  const { ort, status } = load();
  if (!ort || !status.available) throw new Error(`ONNX Runtime is not available: ${status.available ? 'not loaded' : status.reason}`);
  return ort;
}

let blockSize: number | null = null;

/**
 * The channel block of ONNX Runtime's NCHWc CPU kernels here (MLAS): 16 with AVX-512, 8 on other
 * x64 CPUs, 1 (no blocked layout assumed) elsewhere. AVX-512 is read from /proc/cpuinfo, so other
 * systems report 8 on x64 (the graph is then padded less, never wrongly: padding is exact).
 */
export function nchwcBlockSize(): number {
  if (blockSize !== null) return blockSize;
  if (process.arch !== 'x64') return (blockSize = 1);
  let flags = '';
  try {
    flags = process.platform === 'linux' ? (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '') : '';
  } catch {
    // No /proc: the AVX2 block.
  }
  return (blockSize = / avx512f( |$)/.test(flags) ? 16 : 8);
}

export interface OnnxSession<Provider extends OnnxDevice = OnnxDevice> {
  session: OrtSession;
  /** Execution provider in use (without a device asked for: 'cuda' or 'cpu'). */
  provider: Provider;
  /** Frees the native session. */
  release(): Promise<void>;
}

/**
 * Opens an ONNX model (a file path or the bytes of one) for inference on `device` (no fallback:
 * its error is thrown), or without one on CUDA when its provider is installed and initialises,
 * else on the CPU with `threads` intra-op threads (default: ONNX Runtime's choice, one per
 * physical core). `memoryArena: false` hands memory back after each run (slower allocation, for a
 * session used now and then).
 * @throws Error when onnxruntime-node is not available, the model is invalid or `device` does not open it
 */
export async function createOnnxSession(
  model: string | Uint8Array,
  options?: { threads?: number; memoryArena?: boolean },
): Promise<OnnxSession<'cuda' | 'cpu'>>;
export async function createOnnxSession(
  model: string | Uint8Array,
  options: { threads?: number; memoryArena?: boolean; device?: OnnxDevice },
): Promise<OnnxSession>;
export async function createOnnxSession(
  model: string | Uint8Array,
  options: { threads?: number; memoryArena?: boolean; device?: OnnxDevice } = {},
): Promise<OnnxSession> {
  const ort = requireOrt();
  const status = onnxRuntimeStatus();
  const base: OrtSessionOptions = {
    intraOpNumThreads: options.threads ?? 0,
    enableCpuMemArena: options.memoryArena ?? true,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  if (options.device) {
    const session = await ort.InferenceSession.create(model, { ...base, executionProviders: [options.device] });
    return { session, provider: options.device, release: () => session.release() };
  }
  if (status.available && status.cudaInstalled) {
    try {
      const session = await ort.InferenceSession.create(model, { ...base, executionProviders: ['cuda'] });
      return { session, provider: 'cuda', release: () => session.release() };
    } catch {
      // A CUDA provider without a usable GPU or driver: the CPU provider below.
    }
  }
  const session = await ort.InferenceSession.create(model, { ...base, executionProviders: ['cpu'] });
  return { session, provider: 'cpu', release: () => session.release() };
}

/**
 * Runs a single-input, single-output float32 model.
 * @param input row-major data of shape `dims` (for an exported ShuffleNet: `[n, 3, size, size]`)
 * @returns the first output's data (for an exported ShuffleNet: logits `[n, numClasses]`)
 */
export async function runOnnx(s: OnnxSession, input: Float32Array, dims: readonly number[]): Promise<Float32Array> {
  const ort = requireOrt();
  const { session } = s;
  const outputs = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
  const data = outputs[session.outputNames[0]].data;
  if (!(data instanceof Float32Array)) throw new Error(`ONNX model output ${session.outputNames[0]} is not float32`);
  return data;
}

/**
 * Runs a model with several named float32 inputs and returns every output's data by name.
 * @param feeds input name -> row-major data and its shape
 */
export async function runOnnxNamed(
  s: OnnxSession,
  feeds: Record<string, { data: Float32Array; dims: readonly number[] }>,
): Promise<Record<string, Float32Array>> {
  const ort = requireOrt();
  const tensors: Record<string, OrtTensor> = {};
  for (const [name, { data, dims }] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', data, dims);
  const outputs = await s.session.run(tensors);
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    if (!(tensor.data instanceof Float32Array)) throw new Error(`ONNX model output ${name} is not float32`);
    out[name] = tensor.data;
  }
  return out;
}
