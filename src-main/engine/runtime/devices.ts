/**
 * The devices ONNX Runtime can run on here, and the one a job uses. 'auto' takes CUDA (its provider
 * installed and a GPU answering), then WebGPU on a hardware adapter, then the CPU; a software
 * adapter (SwiftShader, lavapipe) is correct but slow, so it is used only when asked for by name.
 * Each GPU device is probed once per process by opening and running a one-node model on it.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { UserError } from '../errors';
import { encodeOnnxModel } from '../onnx/onnx-proto';
import { createOnnxSession, onnxRuntimeStatus, runOnnx, type OnnxDevice } from '../onnx/onnx-runtime';
import { missingVulkanLoader, vulkanDrivers } from './vulkan-drivers';
import { DEVICE_CHOICES, type DeviceChoice, type GpuDevice } from '../../contract/devices';

// The list's one home is the contract (import-free, so the training config's schema takes it too).
export { DEVICE_CHOICES, type DeviceChoice };

/** One device as `info --json` lists it. */
export interface DeviceStatus {
  name: OnnxDevice;
  available: boolean;
  /** The GPU or driver, e.g. "NVIDIA H200", "SwiftShader"; "" when not known. */
  adapter: string;
  /** A CPU implementation of the GPU API: 'auto' skips it. */
  software: boolean;
  /** Why it is not available, or why 'auto' passes it by; "" otherwise. */
  reason: string;
}

/** The device asked for: the option, else env SHUFFLENET_DEVICE, else 'auto'. */
export function requestedDevice(option?: string): DeviceChoice {
  const value = option ?? process.env.SHUFFLENET_DEVICE ?? 'auto';
  if (!(DEVICE_CHOICES as readonly string[]).includes(value)) {
    throw new UserError(`device must be one of ${DEVICE_CHOICES.join(', ')}, got "${value}"`, 'bad-option');
  }
  return value as DeviceChoice;
}

/** y = x + [1, 2, 3, 4]: opens and runs in milliseconds, and its answer shows the device computes. */
function probeModel(): Uint8Array {
  return encodeOnnxModel({
    producerName: 'ShuffleNet Studio',
    producerVersion: '1',
    docString: 'device probe',
    graphName: 'probe',
    nodes: [{ opType: 'Add', name: 'add', inputs: ['x', 'c'], outputs: ['y'] }],
    initializers: [{ name: 'c', dims: [4], data: new Float32Array([1, 2, 3, 4]) }],
    inputs: [{ name: 'x', shape: [4] }],
    outputs: [{ name: 'y', shape: [4] }],
    metadata: {},
  });
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').trim().slice(0, 300);
}

/** The provider's own error, shortened to what a person can act on (a missing library's name). */
function probeFailure(device: OnnxDevice, error: unknown): string {
  const line = firstLine(error);
  const library = /(lib[\w.+-]+\.so[\d.]*|[\w.-]+\.dll)/.exec(line)?.[1];
  if (library && device === 'cuda') return `the CUDA provider could not load ${library} (CUDA 12 and cuDNN 9 are needed; see docs/gpu.md)`;
  if (/No supported adapters|Failed to get a WebGPU adapter/.test(line)) return 'no WebGPU adapter answered (no working GPU driver)';
  return line.replace(/^\/onnxruntime_src\/\S+\s+/, '');
}

/** Opens and runs the probe model on `device`; null when it answered correctly, else why not. */
async function probe(device: OnnxDevice): Promise<string | null> {
  try {
    const session = await createOnnxSession(probeModel(), { device, threads: 1, memoryArena: false });
    try {
      const y = await runOnnx(session, new Float32Array([1, 1, 1, 1]), [4]);
      return Array.from(y).join(',') === '2,3,4,5' ? null : `it computed ${Array.from(y).join(',')} for 2,3,4,5`;
    } finally {
      await session.release();
    }
  } catch (error) {
    return probeFailure(device, error);
  }
}

function nvidiaGpuName(): string {
  try {
    const names = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return names.split('\n')[0].trim() || 'NVIDIA GPU';
  } catch {
    return 'NVIDIA GPU';
  }
}

async function cudaStatus(): Promise<DeviceStatus> {
  const none = { name: 'cuda' as const, available: false, adapter: '', software: false };
  const status = onnxRuntimeStatus();
  if (!status.available) return { ...none, reason: `ONNX Runtime is not available: ${status.reason}` };
  if (!status.cudaInstalled) return { ...none, reason: "onnxruntime-node's CUDA provider is not installed (node scripts/install.mjs --cuda)" };
  const failure = await probe('cuda');
  return failure ? { ...none, reason: failure } : { ...none, available: true, adapter: nvidiaGpuName(), reason: '' };
}

/** The adapter Dawn will pick, as far as the installed drivers tell (Linux); the API name elsewhere. */
function webgpuAdapter(): { adapter: string; software: boolean } {
  if (process.platform === 'win32') return { adapter: 'Direct3D 12', software: false };
  if (process.platform === 'darwin') return { adapter: 'Metal', software: false };
  const drivers = vulkanDrivers();
  const hardware = drivers.filter((d) => !d.software);
  const named = hardware.length > 0 ? hardware : drivers;
  return { adapter: [...new Set(named.map((d) => d.name))].join(', '), software: hardware.length === 0 };
}

async function webgpuStatus(): Promise<DeviceStatus> {
  const none = { name: 'webgpu' as const, available: false, adapter: '', software: false };
  const status = onnxRuntimeStatus();
  if (!status.available) return { ...none, reason: `ONNX Runtime is not available: ${status.reason}` };
  if (!status.webgpuBundled) return { ...none, reason: `onnxruntime-node ${status.version} has no WebGPU provider for ${process.platform}-${process.arch}` };
  // Without a loader or a driver, Dawn would only print a warning and find nothing: say why, unprobed.
  const noLoader = missingVulkanLoader();
  if (noLoader) return { ...none, reason: noLoader };
  const { adapter, software } = webgpuAdapter();
  if (process.platform === 'linux' && adapter === '')
    return { ...none, reason: 'no Vulkan driver is installed (no ICD file in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d)' };
  const failure = await probe('webgpu');
  if (failure) return { ...none, adapter, software, reason: failure };
  return {
    ...none,
    available: true,
    adapter,
    software,
    reason: software ? `${adapter} is a software adapter, as slow as the CPU: used only with --device webgpu` : '',
  };
}

let cached: Promise<DeviceStatus[]> | null = null;

/** Every device, best first, each probed once per process. */
export function listDevices(): Promise<DeviceStatus[]> {
  cached ??= (async () => [await cudaStatus(), await webgpuStatus(), cpuStatus()])();
  return cached;
}

function cpuStatus(): DeviceStatus {
  const status = onnxRuntimeStatus();
  return {
    name: 'cpu',
    available: status.available,
    adapter: os.cpus()[0]?.model.trim() ?? '',
    software: false,
    reason: status.available ? '' : `ONNX Runtime is not available: ${status.reason}`,
  };
}

/** What a job runs on, and why a better device was passed by. */
export interface DeviceChoiceResult {
  device: DeviceStatus;
  /** "cuda: <reason>; webgpu: <reason>" for the devices 'auto' passed by; "" when none. */
  passedBy: string;
}

/**
 * The device for `choice`: 'auto' takes the first available of CUDA and a hardware WebGPU
 * adapter, else the CPU; a named device must be available.
 * @throws UserError when the named device is not available here (with its reason)
 */
export async function pickDevice(choice: DeviceChoice): Promise<DeviceChoiceResult> {
  const devices = await listDevices();
  const byName = (name: OnnxDevice) => devices.find((d) => d.name === name) as DeviceStatus;
  if (choice !== 'auto') {
    const device = byName(choice);
    if (!device.available) throw new UserError(`device "${choice}" was asked for but cannot run here: ${device.reason}`, 'runtime-unavailable');
    return { device, passedBy: '' };
  }
  const passed: string[] = [];
  for (const device of devices) {
    if (device.available && !device.software) return { device, passedBy: passed.join('; ') };
    if (device.name !== 'cpu') passed.push(`${device.name}: ${device.reason}`);
  }
  return { device: byName('cpu'), passedBy: passed.join('; ') };
}

/**
 * The GPU training runs on for `choice`: pickDevice's, as eval and predict pick theirs ('auto'
 * never takes a software adapter), or null for the CPU (OnnxTrainer's replicas).
 * @throws UserError when the named device is not available here
 */
export async function trainingGpu(choice: DeviceChoice): Promise<GpuDevice | null> {
  const { device } = await pickDevice(choice);
  return device.name === 'cpu' ? null : device.name;
}

/** "webgpu (NVIDIA)", "webgpu (SwiftShader, software)", "cpu": a device as people read it. */
export function deviceLabel(device: DeviceStatus): string {
  if (!device.adapter) return device.name;
  return `${device.name} (${device.adapter}${device.software ? ', software' : ''})`;
}
