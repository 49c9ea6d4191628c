/**
 * `train --device`: training on a GPU is not built yet (issue 15, item 2), so training runs where
 * it ran before. A GPU named with the flag is refused (the person asked for it explicitly); one
 * from SHUFFLENET_DEVICE, which also steers eval and predict, gets a one-line note instead.
 */
import { UserError } from '../../engine/errors';
import { DEVICE_CHOICES, requestedDevice } from '../../engine/runtime/devices';
import type { TrainEvent } from '../../engine/types';
import { choiceOption } from '../args';

/** The device training reports: 'cpu', or 'cuda' where the trainer's detail says it opened CUDA (legacy route, CUDA provider installed). */
export type TrainingDevice = 'cpu' | 'cuda';

/** Checks `--device` / SHUFFLENET_DEVICE for training; returns the note to print, if any. */
export function checkTrainingDevice(values: Record<string, unknown>): string | null {
  const flag = values.device === undefined ? undefined : choiceOption(values, 'device', DEVICE_CHOICES, 'auto');
  if (flag === 'cuda' || flag === 'webgpu') {
    throw new UserError(`training on the GPU is not built yet: --device ${flag} works for eval and predict; train with --device cpu or auto`, 'bad-option');
  }
  const device = requestedDevice(flag);
  return device === 'cuda' || device === 'webgpu' ? `note: training on the GPU is not built yet; SHUFFLENET_DEVICE=${device} applies to eval and predict, this run trains on the CPU` : null;
}

/** Adds `device` to each --json training event (read from the start event's trainer detail). */
export function withDevice(emit: (event: TrainEvent & { device: TrainingDevice }) => void): (event: TrainEvent) => void {
  let device: TrainingDevice = 'cpu';
  return (event) => {
    if (event.type === 'start' && /\(cuda/.test(event.backend)) device = 'cuda';
    emit({ ...event, device });
  };
}
