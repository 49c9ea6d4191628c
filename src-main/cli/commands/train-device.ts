/**
 * `train --device auto|cuda|webgpu|cpu`: ONNX Runtime's trainer (ort-train/onnx-trainer.ts) reads
 * the device from SHUFFLENET_DEVICE, as eval and predict do without the flag, so the flag is
 * handed to it there (the flag wins, for this process's one run). A GPU named either way must
 * also be what trains: a run that fell back (to tfjs, say) is an error, not a silent CPU run.
 */
import { UserError, DEVICE_CHOICES, pickDevice, requestedDevice, type TrainEvent } from '../../engine/api';
import { choiceOption } from '../args';

/** The device training reports, read from the trainer's detail (`onnxruntime-node 1.30.0 (webgpu)`). */
export type TrainingDevice = 'cpu' | 'cuda' | 'webgpu';

/**
 * Checks `--device` / SHUFFLENET_DEVICE for training and hands the flag to the trainer.
 * @returns the device asked for
 * @throws UserError, before any work, when a named device cannot run here (with its reason)
 */
export async function checkTrainingDevice(values: Record<string, unknown>): Promise<ReturnType<typeof requestedDevice>> {
  const flag = values.device === undefined ? undefined : choiceOption(values, 'device', DEVICE_CHOICES, 'auto');
  const device = requestedDevice(flag);
  if (device !== 'auto') await pickDevice(device);
  process.env.SHUFFLENET_DEVICE = device;
  return device;
}

function deviceOf(backend: string): TrainingDevice {
  return /\(webgpu/.test(backend) ? 'webgpu' : /\(cuda/.test(backend) ? 'cuda' : 'cpu';
}

/**
 * Adds `device` to each training event (read from the start event's trainer detail).
 * @throws UserError on the start event when `asked` names a GPU that does not run the steps
 */
export function withDevice<E>(asked: ReturnType<typeof requestedDevice>, emit: (event: TrainEvent & { device: TrainingDevice }) => E): (event: TrainEvent) => E {
  let device: TrainingDevice = 'cpu';
  return (event) => {
    if (event.type === 'start') {
      device = deviceOf(event.backend);
      if ((asked === 'webgpu' || asked === 'cuda') && device !== asked) {
        throw new UserError(`device "${asked}" was asked for, but training runs on ${event.backend} (train on ONNX Runtime: --runtime onnx)`, 'bad-option');
      }
    }
    return emit({ ...event, device });
  };
}
