/**
 * How many images one forward/backward pass may hold on the current backend, and how a batch is
 * split into micro-batches whose gradients are summed (gradient accumulation).
 */
import os from 'node:os';
import type * as tf from '@tensorflow/tfjs';
import { trainingReplicaLimit } from './replica-count';

/**
 * Bytes a training step keeps per image for each element of every layer output: the outputs
 * themselves plus what the backward pass saves and produces. Measured on wasm (growth of the wasm
 * heap over one step, 2.0x / groups 3): 115 MB per 32x32 image with the cifar stem (7.39 M
 * output elements, 15.6 bytes each) and 400 MB per 224x224 image with the imagenet stem (24.1 M,
 * 16.6 bytes each).
 */
export const TRAINING_BYTES_PER_ACTIVATION = 17;

/**
 * Share of the 4 GB wasm heap given to activations: the rest holds the weights, their gradients,
 * the accumulated gradients, the momentum buffers, and the allocator's fragmentation.
 */
export const WASM_ACTIVATION_BUDGET = 2 * 1024 ** 3;

/**
 * ONNX Runtime's training graph (ort-train/) keeps about 6.4 bytes per activation element and image
 * (peak resident memory over a step, 2.0x: 6.1 GB at batch 128 with the cifar stem, 5.2 GB at
 * batch 32 with the imagenet stem); rounded up for the allocator's slack.
 */
export const ONNX_TRAINING_BYTES_PER_ACTIVATION = 8;

/**
 * Micro-batch for ONNX Runtime training when memory allows more: per image, 24 to 48 ran about 10%
 * faster than 128 on the 2-core bench machine (about 56 against 51 images/s for 2.0x; the tensors of
 * one pass stay closer to the caches; docs/benchmarks.md), and batch norm statistics over 32
 * images are still well estimated.
 */
export const ONNX_MICRO_BATCH = 32;

/**
 * Fewest images a replica gets when a batch that fits one micro-batch is split over the replicas
 * anyway: two replicas of 16 trained a batch of 32 faster than one two-thread session of 32
 * (2.0x cifar stem, docs/benchmarks.md), while batch norm statistics over fewer images grow noisy.
 */
export const MIN_REPLICA_MICRO_BATCH = 16;

/** The cpu backend keeps tensors in JavaScript typed arrays: allow a quarter of RAM, at most 4 GB. */
export function cpuActivationBudget(): number {
  return Math.min(4 * 1024 ** 3, os.totalmem() / 4);
}

/** Sum of all layer output sizes for one image (the model's activation footprint in elements). */
export function activationElementsPerImage(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
    for (const shape of shapes) total += shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
  }
  return total;
}

/** Estimated bytes one image costs during a training step. */
export function trainingBytesPerImage(model: tf.LayersModel): number {
  return activationElementsPerImage(model) * TRAINING_BYTES_PER_ACTIVATION;
}

/**
 * The micro-batch size for training.
 * - A number in `requested` is used as is (capped at `batchSize`).
 * - `'auto'`: native TensorFlow backends take the whole batch (they are not bound by a 4 GB heap);
 *   ONNX Runtime takes ONNX_MICRO_BATCH images, fewer if a third of RAM cannot hold them on every
 *   replica at once; wasm and cpu take the largest size whose estimated activations fit their
 *   budget. The size is then evened out so the micro-batches of a full batch differ by at most
 *   one image (on ONNX Runtime, over a multiple of the replica count; a batch that fits one
 *   micro-batch still splits over the replicas when each gets MIN_REPLICA_MICRO_BATCH images).
 */
export function chooseMicroBatchSize(options: {
  backend: string;
  batchSize: number;
  requested: number | 'auto';
  model: tf.LayersModel;
  /** Training runs on ONNX Runtime (ort-train/) rather than on the tfjs backend. */
  onnx?: boolean;
}): number {
  const { backend, batchSize, requested, model } = options;
  if (requested !== 'auto') return Math.max(1, Math.min(batchSize, Math.floor(requested)));
  let fits: number;
  let replicas = 1;
  if (options.onnx) {
    replicas = trainingReplicaLimit();
    const perImage = activationElementsPerImage(model) * ONNX_TRAINING_BYTES_PER_ACTIVATION;
    fits = Math.min(ONNX_MICRO_BATCH, Math.max(1, Math.floor(os.totalmem() / 3 / replicas / perImage)));
  } else if (backend === 'tensorflow' || backend === 'tensorflow-gpu') {
    return batchSize;
  } else {
    const budget = backend === 'wasm' ? WASM_ACTIVATION_BUDGET : cpuActivationBudget();
    fits = Math.max(1, Math.floor(budget / trainingBytesPerImage(model)));
  }
  // Too few images to give every replica MIN_REPLICA_MICRO_BATCH: the batch runs whole.
  if (fits >= batchSize && batchSize < replicas * MIN_REPLICA_MICRO_BATCH) return batchSize;
  // A multiple of the replica count, so every replica gets as many micro-batches (ort-train/replicas.ts).
  const parts = Math.ceil(Math.ceil(batchSize / fits) / replicas) * replicas;
  return Math.ceil(batchSize / parts);
}

/** Splits `[0, n)` into consecutive ranges of at most `microBatchSize`, as even as possible. */
export function microBatchRanges(n: number, microBatchSize: number): { start: number; end: number }[] {
  const parts = Math.ceil(n / microBatchSize);
  const ranges: { start: number; end: number }[] = [];
  for (let p = 0; p < parts; p++) {
    ranges.push({ start: Math.round((p * n) / parts), end: Math.round(((p + 1) * n) / parts) });
  }
  return ranges;
}
