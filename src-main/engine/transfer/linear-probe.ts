/**
 * The quick path for a small folder: a pretrained backbone, frozen, turns every image into features
 * once; a softmax head is fitted on them (softmax-head.ts); the result is an ordinary run folder
 * with one checkpoint, so evaluation, prediction, export and a later fine-tune treat it as any run.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { buildShuffleNetV1 } from '../model/shufflenet';
import { loadCheckpoint, writeCheckpoint } from '../checkpoint/checkpoint';
import { defaultTrainConfig } from '../train/config';
import { appendEpochMetrics, writeRunJson } from '../train/run-log';
import { MomentumSgd } from '../step/sgd';
import { loadSessionData } from '../train/setup';
import type { CheckpointManifest, TrainConfig, TrainEvent } from '../types';
import { copyWeightsByName, HEAD_LAYER } from '../model/copy-weights';
import { featuresOf } from './features';
import { fitSoftmaxHead, scoreHead, type HeadPrior } from './softmax-head';

export interface ProbeOptions {
  dataset: string;
  outDir: string;
  /** A run or checkpoint folder whose backbone is used (resolveInit turns 'pretrained' into the shipped one). */
  from: string;
  /** Input side; the source's by default (a larger one may suit photos better). */
  inputSize?: number;
  seed?: number;
  validationFraction?: number;
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (stage: 'features' | 'fit', done: number, total: number) => void;
  /** The run as training reports one (start, one epoch, its checkpoint), for the app's run list and charts. */
  onEvent?: (event: TrainEvent) => void;
}

export interface ProbeResult {
  classes: string[];
  trainCount: number;
  validationCount: number;
  trainAccuracy: number;
  valAccuracy: number;
  valTop5: number;
  valLoss: number;
  /** L2 strength the cross-validation on the training features chose. */
  l2: number;
  elapsedSec: number;
  checkpoint: string;
  backend: string;
}

/** The quick path's options from a run's config, whose `init` is already a checkpoint folder. */
export function probeOptionsOf(config: TrainConfig): Pick<ProbeOptions, 'dataset' | 'outDir' | 'from' | 'inputSize' | 'seed' | 'validationFraction' | 'limit'> {
  return {
    dataset: config.dataset,
    outDir: config.outDir,
    from: config.init as string,
    inputSize: config.inputSize,
    seed: config.seed,
    validationFraction: config.validationFraction,
    limit: config.limit,
  };
}

const labelsOf = (all: Int32Array, indices: readonly number[]) => Int32Array.from(indices, (i) => all[i]);

/** The head rows copyWeightsByName took from the source, as the fit's prior; undefined when it knew none of the classes. */
function knownRowsOf(model: tf.LayersModel, classes: readonly string[], knownClasses: readonly string[]): HeadPrior | undefined {
  if (knownClasses.length === 0) return undefined;
  const [kernel, bias] = model.getLayer(HEAD_LAYER).getWeights();
  return { kernel: Float32Array.from(kernel.dataSync()), bias: Float32Array.from(bias.dataSync()), known: classes.map((c) => knownClasses.includes(c)) };
}

export async function linearProbe(options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const backend = (await initBackend()).name;
  const source = await loadCheckpoint(options.from);
  const { model: sourceModel, manifest: sourceManifest } = source;
  let model: tf.LayersModel | null = null;
  let sgd: MomentumSgd | null = null;
  try {
    const arch = sourceManifest.model;
    const config: TrainConfig = defaultTrainConfig({
      dataset: options.dataset,
      outDir: options.outDir,
      scale: arch.scale,
      groups: arch.groups,
      stem: arch.stem,
      inputSize: options.inputSize ?? arch.inputSize,
      epochs: 1,
      seed: options.seed ?? 0,
      validationFraction: options.validationFraction ?? 0.2,
      augment: false,
      keepCheckpoints: 1,
      init: options.from,
      linearProbe: true,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    });
    const data = await loadSessionData(config, null, options.signal);
    const classes = data.dataset.classes;
    const runBackend = `${backend} (frozen ${sourceManifest.model.scale}x backbone, fitted head)`;
    // The model is built before the start event, so the event can name the classes whose rows the source lent.
    model = buildShuffleNetV1({ ...arch, inputSize: config.inputSize, numClasses: classes.length });
    const { knownClasses } = copyWeightsByName(sourceModel, model, { source: sourceManifest.classes, target: classes });
    options.onEvent?.({
      type: 'start',
      backend: runBackend,
      config,
      classes,
      trainCount: data.trainIndices.length,
      validationCount: data.validationIndices.length,
      stepsPerEpoch: 1,
      microBatchSize: 0,
      startEpoch: 0,
      knownClasses,
    });

    const total = data.trainIndices.length + data.validationIndices.length;
    const progress = (done: number) => options.onProgress?.('features', done, total);
    const trainFeatures = await featuresOf(model, data.train, data.trainIndices, data.prep, { signal: options.signal, onProgress: progress });
    const valFeatures = data.validation
      ? await featuresOf(model, data.validation, data.validationIndices, data.prep, {
          signal: options.signal,
          onProgress: (done) => progress(data.trainIndices.length + done),
        })
      : new Float32Array(0);
    options.onProgress?.('fit', 0, 1);
    const trainLabels = labelsOf(data.train.labels, data.trainIndices);
    const head = fitSoftmaxHead(trainFeatures, trainLabels, { classes: classes.length, prior: knownRowsOf(model, classes, knownClasses) });
    options.onProgress?.('fit', 1, 1);
    const head2d = model.getLayer(HEAD_LAYER);
    const width = trainFeatures.length / trainLabels.length;
    head2d.setWeights([tf.tensor2d(head.kernel, [width, classes.length]), tf.tensor1d(head.bias)]);

    const trainScore = scoreHead(trainFeatures, trainLabels, head, classes.length);
    const valScore = data.validation
      ? scoreHead(valFeatures, labelsOf(data.validation.labels, data.validationIndices), head, classes.length)
      : { accuracy: Number.NaN, top5: Number.NaN, loss: Number.NaN };
    const elapsedSec = (performance.now() - started) / 1000;
    const epoch = {
      type: 'epoch' as const,
      epoch: 1,
      epochs: 1,
      trainLoss: trainScore.loss,
      trainAccuracy: trainScore.accuracy,
      valLoss: valScore.loss,
      valAccuracy: valScore.accuracy,
      valTop5: valScore.top5,
      lr: 0,
      elapsedSec,
      etaSec: 0,
    };
    await writeRunJson(options.outDir, { config, classes, backend: runBackend, microBatchSize: 0 });
    await appendEpochMetrics(options.outDir, epoch);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    sgd = new MomentumSgd(
      model.trainableWeights.map((w, i) => ({ name: w.originalName, variable: variables[i] })),
      { momentum: config.momentum, weightDecay: config.weightDecay },
    );
    const manifest: CheckpointManifest = {
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      epoch: 1,
      config,
      model: { ...arch, inputSize: config.inputSize, numClasses: classes.length },
      preprocessing: data.prep,
      classes,
      metrics: [
        {
          epoch: 1,
          trainLoss: epoch.trainLoss,
          trainAccuracy: epoch.trainAccuracy,
          valLoss: epoch.valLoss,
          valAccuracy: epoch.valAccuracy,
          valTop5: epoch.valTop5,
        },
      ],
      backend: runBackend,
    };
    const state = {
      formatVersion: 1 as const,
      epochsCompleted: 1,
      stepInEpoch: 0,
      stepsPerEpoch: 1,
      trainCount: data.trainIndices.length,
      partialLossSum: 0,
      partialCorrect: 0,
      partialSeen: 0,
      bestValAccuracy: Number.isFinite(valScore.accuracy) ? valScore.accuracy : 0,
      elapsedSec,
    };
    const checkpoint = await writeCheckpoint(options.outDir, { model, manifest, optimizer: await sgd.getState(), state });
    options.onEvent?.(epoch);
    options.onEvent?.({ type: 'checkpoint', epoch: 1, path: checkpoint });
    return {
      classes,
      trainCount: data.trainIndices.length,
      validationCount: data.validationIndices.length,
      trainAccuracy: trainScore.accuracy,
      valAccuracy: valScore.accuracy,
      valTop5: valScore.top5,
      valLoss: valScore.loss,
      l2: head.l2,
      elapsedSec: (performance.now() - started) / 1000,
      checkpoint,
      backend: runBackend,
    };
  } finally {
    sgd?.dispose();
    model?.dispose();
    sourceModel.dispose();
  }
}
