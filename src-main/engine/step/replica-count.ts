/**
 * How many ONNX Runtime training replicas (ort-train/replicas.ts) this machine runs. Below both
 * trainers' folders because the micro-batch size (micro-batch.ts) depends on it as much as the
 * replica pool does.
 */
import os from 'node:os';
import { UserError } from '../errors';
import { onnxRuntimeStatus } from '../onnx/onnx-runtime';

export const MAX_TRAINING_REPLICAS = 8;

/**
 * How many replicas training may use: env SHUFFLENET_TRAIN_REPLICAS, else one per logical core
 * (up to MAX_TRAINING_REPLICAS).
 * @throws UserError when the variable is not a whole number from 1 to MAX_TRAINING_REPLICAS
 */
export function maxTrainingReplicas(): number {
  const raw = process.env.SHUFFLENET_TRAIN_REPLICAS?.trim();
  if (!raw) return Math.min(MAX_TRAINING_REPLICAS, os.availableParallelism());
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_TRAINING_REPLICAS) {
    throw new UserError(`SHUFFLENET_TRAIN_REPLICAS="${raw}" must be a whole number from 1 to ${MAX_TRAINING_REPLICAS}`);
  }
  return n;
}

/**
 * How many replicas training uses at most here: one where ONNX Runtime's CUDA provider is installed
 * (the GPU, not the cores, does the work), else maxTrainingReplicas().
 */
export function trainingReplicaLimit(): number {
  const status = onnxRuntimeStatus();
  return status.available && status.cudaInstalled ? 1 : maxTrainingReplicas();
}
