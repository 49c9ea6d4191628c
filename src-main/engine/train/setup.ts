/**
 * Everything a training session needs before its first step: backend, data, model, optimizer
 * and, when resuming, the saved position. Kept apart from the loop in train.ts.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { loadDataset } from '../data/load-dataset';
import { defaultPreprocessing } from '../data/preprocess';
import { UserError } from '../errors';
import { loadModelFromDir } from '../model/file-io';
import { OnnxTrainer } from '../ort-train/onnx-trainer';
import { requestedRuntime } from '../runtime/logits-runner';
import { requestedDevice } from '../runtime/devices';
import { onnxRuntimeStatus } from '../onnx/onnx-runtime';
import { buildShuffleNetV1 } from '../model/shufflenet';
import { copyWeightsByName, type CopyReport } from '../model/copy-weights';
import type { CheckpointManifest, DatasetSplit, LoadedDataset, ModelConfig, Preprocessing, TrainConfig } from '../types';
import { latestCheckpoint, readManifest, readTrainingState, resolveCheckpointDir, type TrainState } from '../checkpoint/checkpoint';
import { spreadSubset } from '../data/data-order';
import { FINE_TUNE_DEFAULTS, headOnlyAt, lrScaleOf } from '../step/fine-tune';
import { chooseMicroBatchSize } from '../step/micro-batch';
import type { Trainer } from '../step/trainer';
import { withSeededRandom } from './seeded-init';
import { TfjsTrainer } from './train-step';
import { MomentumSgd, type SgdState } from '../step/sgd';

/** A checkpoint to continue from. */
export interface ResumePoint {
  dir: string;
  manifest: CheckpointManifest;
  optimizer: SgdState;
  state: TrainState;
}

/**
 * The newest checkpoint of `outDir` when resuming; null for a fresh start. A fresh start into a
 * folder that already holds checkpoints is refused, since the old ones would pass for the new run's.
 */
export async function findResumePoint(outDir: string, resume: boolean): Promise<ResumePoint | null> {
  const dir = await latestCheckpoint(outDir);
  if (!dir) return null;
  if (!resume) {
    throw new UserError(`${outDir} already holds a training run (${path.basename(dir)}): resume it, or choose another output folder`, 'run-exists');
  }
  const manifest = await readManifest(dir);
  const { optimizer, state } = await readTrainingState(dir);
  return { dir, manifest, optimizer, state };
}

/**
 * The config a session runs with. Resuming keeps everything that shapes the trajectory (model,
 * schedule, seed, batch size, limit) from the checkpoint, so the learning-rate schedule and data
 * order continue unchanged; only where the data and the run live, how many checkpoints to keep
 * and, when the caller names one, the device come from the caller. The device leaves the
 * trajectory as it is (up to float32 rounding: checkpoints hold plain weights), so a run started
 * on a GPU resumes on the CPU and the other way; without one named it keeps the checkpoint's.
 */
export function sessionConfig(requested: TrainConfig, resume: ResumePoint | null): TrainConfig {
  if (!resume) return requested;
  const device = requested.device ?? resume.manifest.config.device;
  return {
    ...FINE_TUNE_DEFAULTS,
    ...resume.manifest.config,
    dataset: requested.dataset,
    outDir: requested.outDir,
    keepCheckpoints: requested.keepCheckpoints,
    ...(device === undefined ? {} : { device }),
  };
}

export interface SessionData {
  dataset: LoadedDataset;
  prep: Preprocessing;
  train: DatasetSplit;
  trainIndices: number[];
  validation: DatasetSplit | null;
  validationIndices: number[];
}

function labeledIndices(split: DatasetSplit): number[] {
  const out: number[] = [];
  for (let i = 0; i < split.count; i++) if (split.labels[i] >= 0) out.push(i);
  return out;
}

/**
 * Loads the dataset with the preprocessing of the run (the checkpoint's when resuming) and picks
 * the samples: the labeled `train` split (a spread subset of `limit` with `limit`), and for
 * validation the `validation` split, else `test` (at most max(limit / 5, batchSize) with `limit`).
 */
export async function loadSessionData(config: TrainConfig, resume: ResumePoint | null, signal?: AbortSignal): Promise<SessionData> {
  const saved = resume?.manifest.preprocessing;
  const dataset = await loadDataset(config.dataset, {
    storeSize: saved?.storeSize ?? config.inputSize,
    fit: saved?.fit ?? 'cover',
    validationFraction: config.validationFraction,
    seed: config.seed,
    signal,
  });
  const prep = saved ?? defaultPreprocessing({ format: dataset.format, inputSize: config.inputSize });
  if (prep.storeSize !== dataset.storeSize) {
    throw new UserError(`${dataset.root} is stored at ${dataset.storeSize}px but the run expects ${prep.storeSize}px`, 'dataset-mismatch');
  }
  if (resume && resume.manifest.classes.join('\n') !== dataset.classes.join('\n')) {
    throw new UserError(
      `${dataset.root} has classes [${dataset.classes.join(', ')}] but the run was trained on [${resume.manifest.classes.join(', ')}]`,
      'dataset-mismatch',
    );
  }
  const train = dataset.splits.train;
  if (!train) throw new UserError(`${dataset.root} has no train split (found: ${Object.keys(dataset.splits).join(', ')})`, 'dataset-invalid');
  let trainIndices = labeledIndices(train);
  if (config.limit !== undefined) trainIndices = spreadSubset(trainIndices, config.limit);
  if (trainIndices.length === 0) throw new UserError(`${dataset.root} has no labeled training images`, 'dataset-invalid');
  if (dataset.classes.length < 2) {
    throw new UserError(`${dataset.root} has ${dataset.classes.length} class; training needs at least 2 class folders`, 'dataset-invalid');
  }
  const validation = dataset.splits.validation ?? dataset.splits.test ?? null;
  let validationIndices = validation ? labeledIndices(validation) : [];
  if (config.limit !== undefined) {
    validationIndices = spreadSubset(validationIndices, Math.max(Math.ceil(config.limit / 5), config.batchSize));
  }
  return { dataset, prep, train, trainIndices, validation, validationIndices };
}

export interface SessionModel {
  /** What runs the training steps: the tfjs backend's name, or ONNX Runtime's (`onnxruntime-node 1.30.0 (cpu, 2 replicas)`). */
  backend: string;
  /** Runs the steps: OnnxTrainer on ONNX Runtime, else TfjsTrainer on the tfjs backend. */
  trainer: Trainer;
  modelConfig: ModelConfig;
  model: tf.LayersModel;
  /** Trainable variables in `model.trainableWeights` order. */
  variables: tf.Variable[];
  sgd: MomentumSgd;
  microBatchSize: number;
  /** The classes whose head rows came from `init` (CopyReport.knownClasses); empty from scratch or when resuming. */
  knownClasses: string[];
}

/**
 * Initialises the backend, then builds the model (weights seeded by `config.seed`) or loads the
 * checkpoint's, with an optimizer whose state is restored when resuming. The caller disposes
 * `model` and `sgd`.
 */
export async function prepareModel(config: TrainConfig, classes: readonly string[], resume: ResumePoint | null): Promise<SessionModel> {
  const backend = (await initBackend()).name;
  const modelConfig: ModelConfig = resume?.manifest.model ?? {
    scale: config.scale,
    groups: config.groups,
    numClasses: classes.length,
    stem: config.stem,
    inputSize: config.inputSize,
  };
  const model = resume
    ? await loadModelFromDir(resume.dir)
    : withSeededRandom(config.seed, () => buildShuffleNetV1(modelConfig, { zeroInitBranches: config.zeroInitBranches }));
  const knownClasses = !resume && config.init ? (await startFrom(model, config.init, classes)).knownClasses : [];
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sgd = new MomentumSgd(
    model.trainableWeights.map((w, i) => ({ name: w.originalName, variable: variables[i] })),
    { momentum: config.momentum, weightDecay: config.weightDecay, lrScale: (name) => lrScaleOf(config, name) },
  );
  let trainer: Trainer;
  let microBatchSize: number;
  try {
    if (resume) sgd.setState(resume.optimizer);
    const microBatch = (onnx: boolean) => chooseMicroBatchSize({ backend, batchSize: config.batchSize, requested: config.microBatchSize, model, onnx });
    // The replicas open the graph of the first step to come (head-only while a fine-tune's first phase lasts).
    const headOnly = headOnlyAt(config, resume?.state.epochsCompleted ?? 0);
    const sizes = { batchSize: config.batchSize, microBatchSize: microBatch(true), headOnly };
    const onnx = await openOnnxTrainer(config, backend, { model, modelConfig, variables, sgd, sizes });
    microBatchSize = onnx ? sizes.microBatchSize : microBatch(false);
    trainer = onnx ?? new TfjsTrainer({ model, variables, sgd, microBatchSize }, backend);
  } catch (error) {
    sgd.dispose();
    model.dispose();
    throw error;
  }
  return { backend: trainer.detail, trainer, modelConfig, model, variables, sgd, microBatchSize, knownClasses };
}

/**
 * Loads `init`'s weights into a fresh model by layer name (model/copy-weights.ts): everything but
 * the head's rows of classes the source does not know by name (all of it, with the same classes).
 */
async function startFrom(model: tf.LayersModel, init: string, classes: readonly string[]): Promise<CopyReport> {
  const dir = await resolveCheckpointDir(init);
  const manifest = await readManifest(dir);
  const source = await loadModelFromDir(dir);
  try {
    return copyWeightsByName(source, model, { source: manifest.classes, target: classes });
  } finally {
    source.dispose();
  }
}

/**
 * ONNX Runtime's trainer when the run asks for it ('onnx', or a GPU as `device`) or may use it
 * ('auto': wherever it loads, unless tfjs runs on native TensorFlow, which trains as fast or, on a
 * GPU, far faster), on `config.device` (else SHUFFLENET_DEVICE, else 'auto'). A GPU named as the
 * device trains there or the run fails: never a silent fallback to tfjs on the CPU.
 * @throws UserError when ONNX Runtime was asked for and is missing or cannot open the graph, or the named device cannot run
 */
async function openOnnxTrainer(
  config: TrainConfig,
  backend: string,
  m: {
    model: tf.LayersModel;
    modelConfig: ModelConfig;
    variables: tf.Variable[];
    sgd: MomentumSgd;
    sizes: { batchSize: number; microBatchSize: number; headOnly: boolean };
  },
): Promise<OnnxTrainer | null> {
  const runtime = requestedRuntime(config.runtime);
  const device = requestedDevice(config.device);
  const gpuNamed = device === 'webgpu' || device === 'cuda';
  if (runtime === 'tfjs') {
    if (gpuNamed) throw new UserError(`device "${device}" trains on ONNX Runtime, but runtime "tfjs" was asked for`, 'bad-option');
    return null;
  }
  if (runtime === 'auto' && !gpuNamed && (backend === 'tensorflow' || backend === 'tensorflow-gpu')) return null;
  const required = runtime === 'onnx' || gpuNamed;
  const status = onnxRuntimeStatus();
  if (!status.available) {
    if (required) throw new UserError(`Training on ONNX Runtime${gpuNamed ? ` (device "${device}")` : ''} was asked for, but ${status.reason}`, 'bad-option');
    return null;
  }
  try {
    return await OnnxTrainer.create(m.model, m.modelConfig, m.variables, m.sgd, { ...m.sizes, device });
  } catch (error) {
    if (!required) return null;
    // A named device that cannot run says so itself (runtime/devices.ts pickDevice).
    if (error instanceof UserError) throw error;
    throw new UserError(`ONNX Runtime could not open the training graph: ${(error as Error).message.split('\n')[0]}`, 'bad-option');
  }
}
