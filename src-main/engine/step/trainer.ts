/**
 * The seam between the training loop (train/train.ts) and what runs its steps: the tfjs backend
 * (train/train-step.ts, TfjsTrainer) or ONNX Runtime (ort-train/onnx-trainer.ts, OnnxTrainer). The
 * loop only calls these methods, so another runtime (a GPU trainer) is one more implementation and
 * no branch in the loop. Every implementation makes the same update to the bit as trainStep, and
 * leaves the session's tfjs model and MomentumSgd as the record that checkpoints are written from.
 */
import type { LogitsFn } from '../model/inference';
import type { CheckpointModelInfo, Preprocessing } from '../types';

export interface StepResult {
  /** Sum of the per-sample training losses (label-smoothed) over the batch. */
  lossSum: number;
  correct: number;
  count: number;
}

export interface StepOptions {
  prep: Preprocessing;
  labelSmoothing: number;
  /** A fine-tune's first phase (step/fine-tune.ts): backbone in inference mode, only the head updated. */
  headOnly?: boolean;
}

export interface Trainer {
  /** What runs the steps, for people: the tfjs backend's name, or `onnxruntime-node 1.30.0 (cpu, 2 replicas)`. */
  readonly detail: string;
  /**
   * One SGD step over a batch with gradient accumulation over micro-batches.
   * @param pixels RGB uint8 `[n, storeSize, storeSize, 3]` (already augmented)
   * @param labels `[n]` class indices
   */
  step(pixels: Uint8Array, labels: Int32Array, lr: number, options: StepOptions): Promise<StepResult>;
  /** Writes weights, velocities and moving statistics back into the tfjs model and optimizer, before validation and checkpoints. */
  sync(): Promise<void>;
  /** Logits of the synced model for validation, on the runtime that trains (so validation measures what it runs). */
  validationLogits(info: CheckpointModelInfo): Promise<{ logits: LogitsFn; release: () => Promise<void> }>;
  /** Frees what the trainer opened itself; the model and optimizer stay the session's to dispose. */
  dispose(): Promise<void>;
}

/** Index of the largest of the `width` values of row `row` (the first one on ties). */
export function argmaxRow(values: Float32Array, row: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (values[row * width + j] > values[row * width + best]) best = j;
  return best;
}
