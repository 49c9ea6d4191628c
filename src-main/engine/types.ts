/**
 * Shared engine types: the shapes that the model, data, training and CLI parts agree on.
 * Plain data only (no tensors), so they can cross process boundaries as JSON.
 */
import type { DeviceChoice } from '../contract/devices';
import type { TestTimeAugmentation } from '../contract/test-time-augmentation';
import type { Groups, Scale, Stem } from '../contract/train-config-values';

export type { Groups, Scale, Stem };

/** What `buildShuffleNetV1` needs. `inputSize` is the square input side in pixels. */
export interface ModelConfig {
  scale: Scale;
  groups: Groups;
  numClasses: number;
  stem: Stem;
  inputSize: number;
}

/**
 * How raw RGB pixels become model input. Saved with every checkpoint and used unchanged by
 * training, evaluation and prediction.
 * - Files are decoded with sharp, rotated by EXIF, flattened on black, and resized to
 *   `storeSize` x `storeSize` (`fit` decides crop versus stretch) before they are cached.
 * - On the tensor side, stored pixels are resized to `inputSize` (bilinear) when it differs,
 *   scaled to [0, 1], then normalised with `mean` / `std`.
 */
export interface Preprocessing {
  storeSize: number;
  inputSize: number;
  fit: 'cover' | 'fill';
  mean: [number, number, number];
  std: [number, number, number];
}

export type DatasetFormat = 'cifar10-binary' | 'image-folder';

/** A file that could not be used, and why (never stops a run). */
export interface SkippedFile {
  path: string;
  /** In plain words ("damaged or incomplete JPEG file", "broken link: its target is missing"). */
  reason: string;
  /** What the decoder or the OS said, word for word, when there is more to say. */
  detail?: string;
}

/** One split of a dataset: labels and a way to read pixels for any set of indices. */
export interface DatasetSplit {
  readonly count: number;
  /** Class index per sample, -1 for unlabeled. */
  readonly labels: Int32Array;
  /** Stable id per sample: `"<split>:<index>"` for CIFAR, the path relative to the root for folders. */
  id(index: number): string;
  /** Absolute file path of a sample when it is a file, for thumbnails. */
  filePath?(index: number): string | undefined;
  /** RGB uint8 pixels `[indices.length, storeSize, storeSize, 3]`, row-major, in the given order. */
  readPixels(indices: readonly number[]): Promise<Uint8Array>;
}

export interface LoadedDataset {
  format: DatasetFormat;
  root: string;
  classes: string[];
  /** Side of the stored square pixels returned by `readPixels`. */
  storeSize: number;
  /** `train` and `test` for CIFAR-10; `train` and `validation` (stratified, seeded) for folders. */
  splits: Record<string, DatasetSplit>;
  /** Images at the root of a folder dataset that have no class yet. */
  unlabeled?: DatasetSplit;
  skipped: SkippedFile[];
}

/**
 * A run's settings. The contract's schema (contract/schemas/train-config.ts) is the same minus
 * `dataset` and `outDir`, with `init` a run id and the fine-tuning settings optional;
 * test/contract/train-config.test.ts fails to compile when the two drift apart.
 */
export interface TrainConfig {
  dataset: string;
  outDir: string;
  scale: Scale;
  groups: Groups;
  stem: Stem;
  /** Model input side; 32 for the cifar stem, 224 for the tutorial's imagenet stem. */
  inputSize: number;
  epochs: number;
  batchSize: number;
  /** Peak learning rate after warm-up. */
  lr: number;
  momentum: number;
  weightDecay: number;
  labelSmoothing: number;
  warmupEpochs: number;
  seed: number;
  /** Use only the first N training samples (and N/5 validation samples); for quick runs. */
  limit?: number;
  /** Fraction of a folder dataset held out for validation. */
  validationFraction: number;
  /** Checkpoints kept on disk (the newest K). */
  keepCheckpoints: number;
  /** Micro-batch size for gradient accumulation, or 'auto' to pick what fits the backend. */
  microBatchSize: number | 'auto';
  /** Random crop with 4-pixel padding and horizontal flip. */
  augment: boolean;
  /** Start each unit's last batch-norm gamma at 0 (see InitOptions in model/shufflenet.ts). */
  zeroInitBranches?: boolean;
  /**
   * What runs the training steps: 'onnx' ONNX Runtime (ort-train/), 'tfjs' the tfjs backend, 'auto'
   * (the default, also from env SHUFFLENET_RUNTIME) ONNX Runtime where it loads unless tfjs runs on
   * native TensorFlow.
   */
  runtime?: 'auto' | 'onnx' | 'tfjs';
  /**
   * The device ONNX Runtime trains on (runtime/devices.ts trainingGpu): absent, env
   * SHUFFLENET_DEVICE, else 'auto' (the best device, never a software adapter); a GPU named here
   * trains on ONNX Runtime there or not at all. Not part of the trajectory: a resume's own value
   * wins over the checkpoint's (train/setup.ts sessionConfig).
   */
  device?: DeviceChoice;
  /**
   * A run or checkpoint folder whose weights the run starts from (checkpoint/pretrained.ts resolves
   * `pretrained` to the shipped CIFAR-10 model); absent to start from scratch. Its architecture
   * must be this config's; the head is kept only when the classes are the same.
   */
  init?: string;
  /**
   * Epochs at the start of a run from `init` that train only the classifier head over the frozen
   * backbone (in inference mode: step/fine-tune.ts), before every weight trains; 0 (the default)
   * trains everything from the first step. At most `epochs`; above 0 only with `init`.
   */
  headOnlyEpochs: number;
  /**
   * The backbone's learning rate as a share of the head's (`lr` and its schedule), above 0 and at
   * most 1 (the default: one rate for all). Below 1 only with `init`.
   */
  backboneLrScale: number;
  /**
   * The classifier head's learning rate as a share of `lr` and its schedule, above 0 and at most 1;
   * absent is 1. Below 1 on a model from scratch, the head no longer sets the warm-up's limit: the
   * pooled features' large common mean makes the loss steepest along the head's weights, and at the
   * full rate the loss spikes (docs/results.md, 2026-12-02 and 2026-12-03).
   */
  headLrScale?: number;
  /**
   * The quick path (transfer/linear-probe.ts): no training steps; the features of every image go
   * once through the frozen backbone of `init` and a softmax head is fitted on them, in seconds.
   */
  linearProbe?: boolean;
}

export type TrainEvent =
  | {
      type: 'start';
      backend: string;
      config: TrainConfig;
      classes: string[];
      trainCount: number;
      validationCount: number;
      stepsPerEpoch: number;
      microBatchSize: number;
      startEpoch: number;
      /**
       * The classes whose head rows came from `init`'s classes of the same name (model/copy-weights.ts);
       * empty from scratch, for names the source does not know, and when resuming (the weights come from the checkpoint).
       */
      knownClasses: string[];
    }
  | {
      type: 'batch';
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      loss: number;
      accuracy: number;
      lr: number;
      imagesPerSec: number;
    }
  | {
      type: 'epoch';
      epoch: number;
      epochs: number;
      trainLoss: number;
      trainAccuracy: number;
      valLoss: number;
      valAccuracy: number;
      valTop5: number;
      lr: number;
      elapsedSec: number;
      etaSec: number;
    }
  | { type: 'checkpoint'; epoch: number; path: string }
  | {
      type: 'done';
      /** 'diverged': the training loss ran away (train/divergence.ts); the run ended there, its diverged weights unsaved. */
      status: 'completed' | 'stopped' | 'diverged';
      epochsCompleted: number;
      bestValAccuracy: number;
      checkpoint: string | null;
      elapsedSec: number;
      /** Why the run diverged and what to change; only with status 'diverged'. */
      divergence?: Divergence;
    };

/** Where and how a run diverged (train/divergence.ts). */
export interface Divergence {
  epoch: number;
  /** Step in that epoch (1-based) at which it was detected. */
  step: number;
  /** The step's loss when non-finite, else the epoch's running mean training loss. */
  loss: number;
  /** The loss above which a run counts as diverged. */
  threshold: number;
  /** One clause: what happened ("the mean training loss of epoch 1 was 22.4, above 6.91"). */
  reason: string;
  /** One clause: what to change ("lower the learning rate (try 0.01 instead of 0.05)"). */
  remedy: string;
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvaluationResult {
  top1: number;
  top5: number;
  loss: number;
  count: number;
  classes: string[];
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
  perClass: ClassMetrics[];
  /** Misclassified samples, for "show me these images". */
  misclassified: { id: string; trueLabel: number; predicted: number; probability: number }[];
  /**
   * Every evaluated sample, right or wrong (same shape as `misclassified`), when the evaluation
   * reports them; the app uses it to show the images of diagonal confusion-matrix cells too.
   */
  samples?: { id: string; trueLabel: number; predicted: number; probability: number }[];
  /** Which runtime ran the forward passes, when the evaluation reports it. */
  runtime?: 'onnx' | 'tfjs';
  /** The test-time augmentation that ran (engine/runtime/tta.ts), when the evaluation reports it. */
  tta?: TestTimeAugmentation;
}

/** The list's one home is the contract's zod-free leaf; runtime/tta.ts runs each. */
export type { TestTimeAugmentation };

export interface PredictionTop {
  label: string;
  probability: number;
}

export type PredictionItem = { path: string; top: PredictionTop[] } | { path: string; skipped: string };

/** Written as `manifest.json` beside `model.json` in every checkpoint folder. */
export interface CheckpointManifest {
  formatVersion: 1;
  createdAt: string;
  epoch: number;
  config: TrainConfig;
  model: ModelConfig;
  preprocessing: Preprocessing;
  classes: string[];
  metrics: { epoch: number; trainLoss: number; trainAccuracy: number; valLoss: number; valAccuracy: number; valTop5: number }[];
  backend: string;
  /**
   * Set when training was stopped inside epoch `epoch + 1`: the weights are those after `step`
   * of its steps, and resuming continues from that step. Absent at an epoch boundary.
   */
  partial?: { step: number; stepsPerEpoch: number };
  /**
   * SHA-256 (hex) of every other file of the checkpoint folder, by file name, checked whenever the
   * checkpoint is read. Absent in checkpoints written before checksums were recorded.
   */
  sha256?: Record<string, string>;
}

/** What a graph of a checkpoint's model needs besides its weights: the ONNX export, and validation on ONNX Runtime while training. */
export type CheckpointModelInfo = Pick<CheckpointManifest, 'model' | 'preprocessing' | 'classes' | 'epoch'>;
