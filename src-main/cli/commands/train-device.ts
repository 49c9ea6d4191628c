/**
 * `train --device auto|cuda|webgpu|cpu`: the device goes into the run's config (TrainConfig
 * `device`), which the engine's setup hands to ONNX Runtime's trainer (train/setup.ts); a GPU named
 * there trains on it or the run fails. A fresh run records what was asked (the flag, else
 * SHUFFLENET_DEVICE, else 'auto'); a resume takes the flag when given, else the run's own device.
 */
import { DEVICE_CHOICES, pickDevice, requestedDevice, type DeviceChoice, type TrainEvent } from '../../engine/api';
import { choiceOption } from '../args';

/** The device training reports, read from the trainer's detail (`onnxruntime-node 1.30.0 (webgpu)`). */
export type TrainingDevice = Exclude<DeviceChoice, 'auto'>;

/**
 * The config's `device` for `--device` / SHUFFLENET_DEVICE; undefined for a resume without the
 * flag (the checkpoint's config keeps its device).
 * @throws UserError, before any work, when the value is not a device or a named device cannot run here (with its reason)
 */
export async function trainingDevice(values: Record<string, unknown>): Promise<DeviceChoice | undefined> {
  const flag = values.device === undefined ? undefined : choiceOption(values, 'device', DEVICE_CHOICES, 'auto');
  const device = requestedDevice(flag);
  if (flag === undefined && values.resume) return undefined;
  if (device !== 'auto') await pickDevice(device);
  return device;
}

function deviceOf(backend: string): TrainingDevice {
  return /\(webgpu/.test(backend) ? 'webgpu' : /\(cuda/.test(backend) ? 'cuda' : 'cpu';
}

/** Adds `device` to each training event (read from the start event's trainer detail). */
export function withDevice<E>(emit: (event: TrainEvent & { device: TrainingDevice }) => E): (event: TrainEvent) => E {
  let device: TrainingDevice = 'cpu';
  return (event) => {
    if (event.type === 'start') device = deviceOf(event.backend);
    return emit({ ...event, device });
  };
}
