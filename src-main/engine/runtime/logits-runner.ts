/**
 * One forward-pass contract for evaluation and prediction, on either runtime: ONNX Runtime (the
 * checkpoint exported to ONNX in memory) where onnxruntime-node loads, tfjs otherwise.
 */
import { UserError } from '../errors';
import type * as tf from '@tensorflow/tfjs';
import { backendInfo } from '../backend';
import { onnxModelBytes, onnxModelFromLayersModel } from '../export/onnx';
import { loadCheckpoint } from '../checkpoint/checkpoint';
import { logitsForPixels, type LogitsFn } from '../model/inference';
import type { CheckpointManifest, CheckpointModelInfo } from '../types';
import { deviceLabel, pickDevice, requestedDevice, type DeviceChoice, type DeviceStatus } from './devices';
import { pixelsToNchw } from './nchw';
import { createOnnxSession, nchwcBlockSize, onnxRuntimeStatus, runOnnx, type OnnxDevice } from '../onnx/onnx-runtime';

/** 'auto': ONNX Runtime when it loads and opens the model, else tfjs. */
export type InferenceRuntime = 'auto' | 'onnx' | 'tfjs';
export const INFERENCE_RUNTIMES: readonly InferenceRuntime[] = ['auto', 'onnx', 'tfjs'];

/** Which runtime runs the forward passes, for reports and logs. */
export interface RuntimeInfo {
  runtime: 'onnx' | 'tfjs';
  /** What runs, for people: e.g. `onnxruntime-node 1.30.0 (cpu)`, `onnxruntime-node 1.30.0 (webgpu: NVIDIA)` or `tfjs`. */
  detail: string;
  /** The device the forward passes run on (tfjs: 'cuda' on tfjs-node-gpu, else 'cpu'). */
  device: OnnxDevice;
  /** Why 'auto' fell back to tfjs, when it did. */
  fallbackReason?: string;
  /** Why the 'auto' device passed a GPU by ("webgpu: ..."), when it did. */
  devicePassedBy?: string;
}

export interface LogitsRunner extends RuntimeInfo {
  manifest: CheckpointManifest;
  /** The checkpoint folder used. */
  dir: string;
  /**
   * Logits for stored pixels, in inference mode (batch norm uses its moving statistics).
   * @param pixels RGB uint8 `[n, storeSize, storeSize, 3]`
   * @returns row-major `[n, numClasses]`
   */
  logits(pixels: Uint8Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The runtime asked for: the option, else env SHUFFLENET_RUNTIME, else 'auto'. */
export function requestedRuntime(option?: InferenceRuntime): InferenceRuntime {
  const value = option ?? process.env.SHUFFLENET_RUNTIME ?? 'auto';
  if (!(INFERENCE_RUNTIMES as readonly string[]).includes(value)) {
    throw new UserError(`runtime must be one of ${INFERENCE_RUNTIMES.join(', ')}, got "${value}"`, 'bad-option');
  }
  return value as InferenceRuntime;
}

/**
 * ONNX Runtime logits for a ShuffleNet in memory (the trainer's, between epochs), through the same
 * export the app writes, tuned for this CPU.
 * @param info the model settings, preprocessing, classes and epoch the export records
 */
export async function onnxLogitsForModel(model: tf.LayersModel, info: CheckpointModelInfo): Promise<{ logits: LogitsFn; release: () => Promise<void> }> {
  const session = await createOnnxSession(onnxModelFromLayersModel(model, info, { nchwcBlock: nchwcBlockSize() }));
  const prep = info.preprocessing;
  return {
    logits: async (pixels, n) => runOnnx(session, await pixelsToNchw(pixels, n, prep), [n, 3, prep.inputSize, prep.inputSize]),
    release: () => session.release(),
  };
}

async function openSession(run: string, device: OnnxDevice) {
  // Built for this CPU's ONNX Runtime kernels (exact, only faster); GPUs and an exported file get the plain graph.
  const { bytes, manifest, dir } = await onnxModelBytes(run, { nchwcBlock: device === 'cpu' ? nchwcBlockSize() : 1 });
  try {
    return { session: await createOnnxSession(bytes, { device }), manifest, dir };
  } catch (error) {
    throw new Error(`ONNX Runtime could not open the exported model on ${device}: ${(error as Error).message.split('\n')[0]}`);
  }
}

async function openOnnx(run: string, choice: DeviceChoice): Promise<LogitsRunner> {
  const picked = await pickDevice(choice);
  let device: DeviceStatus = picked.device;
  let passedBy = picked.passedBy;
  let opened: Awaited<ReturnType<typeof openSession>>;
  try {
    opened = await openSession(run, device.name);
  } catch (error) {
    // 'auto' on a GPU that answered the probe but refuses this model: the CPU, with the reason.
    if (choice !== 'auto' || device.name === 'cpu' || error instanceof UserError) throw error;
    passedBy = [passedBy, `${device.name}: ${(error as Error).message}`].filter(Boolean).join('; ');
    device = { name: 'cpu', available: true, adapter: '', software: false, reason: '' };
    opened = await openSession(run, 'cpu');
  }
  const { session, manifest, dir } = opened;
  const status = onnxRuntimeStatus();
  const prep = manifest.preprocessing;
  // "cpu" alone (its adapter is the CPU's model, in `info`); a GPU with its adapter: "webgpu: NVIDIA".
  const label = device.name === 'cpu' ? 'cpu' : deviceLabel(device).replace(' (', ': ').replace(/\)$/, '');
  return {
    runtime: 'onnx',
    detail: `onnxruntime-node ${status.available ? status.version : ''} (${label})`,
    device: device.name,
    ...(passedBy ? { devicePassedBy: passedBy } : {}),
    manifest,
    dir,
    async logits(pixels, n) {
      const input = await pixelsToNchw(pixels, n, prep);
      return runOnnx(session, input, [n, 3, prep.inputSize, prep.inputSize]);
    },
    dispose: () => session.release(),
  };
}

async function openTfjs(run: string, fallbackReason?: string): Promise<LogitsRunner> {
  const { model, manifest, dir } = await loadCheckpoint(run);
  return {
    runtime: 'tfjs',
    detail: 'tfjs',
    device: backendInfo()?.name === 'tensorflow-gpu' ? 'cuda' : 'cpu',
    fallbackReason,
    manifest,
    dir,
    logits: (pixels, n) => logitsForPixels(model, pixels, n, manifest.preprocessing),
    dispose: async () => {
      model.dispose();
    },
  };
}

/**
 * Opens the newest checkpoint of `run` (or the checkpoint folder `run` names) for inference.
 * @param runtime 'onnx' insists on ONNX Runtime, 'tfjs' on tfjs, 'auto' (default; or env
 *   SHUFFLENET_RUNTIME) takes ONNX Runtime when it loads and falls back to tfjs with a reason.
 * @param device ONNX Runtime's device (default: env SHUFFLENET_DEVICE, else 'auto'; see devices.ts);
 *   a named GPU insists on ONNX Runtime on that GPU.
 * @throws UserError for a wrong run path, a broken checkpoint, or 'onnx' or a named GPU where it cannot run
 */
export async function openLogitsRunner(run: string, runtime?: InferenceRuntime, device?: DeviceChoice): Promise<LogitsRunner> {
  const wanted = requestedRuntime(runtime);
  const wantedDevice = requestedDevice(device);
  const gpuNamed = wantedDevice === 'cuda' || wantedDevice === 'webgpu';
  if (wanted === 'tfjs') {
    if (gpuNamed) throw new UserError(`device "${wantedDevice}" runs on ONNX Runtime, but runtime "tfjs" was asked for`, 'bad-option');
    return openTfjs(run);
  }
  const status = onnxRuntimeStatus();
  if (!status.available) {
    if (wanted === 'onnx' || gpuNamed) {
      throw new UserError(
        `${gpuNamed ? `device "${wantedDevice}"` : 'runtime "onnx"'} was asked for but ONNX Runtime is not available: ${status.reason}`,
        'runtime-unavailable',
      );
    }
    return openTfjs(run, status.reason);
  }
  try {
    return await openOnnx(run, wantedDevice);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const reason = (error as Error).message;
    if (wanted === 'onnx' || gpuNamed) throw new UserError(reason, 'runtime-unavailable');
    return openTfjs(run, reason);
  }
}
