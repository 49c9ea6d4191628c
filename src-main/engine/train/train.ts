/**
 * The training loop: epochs of shuffled, augmented batches, one accumulated SGD step per batch, a
 * validation pass and an atomic checkpoint per epoch, and a resumable checkpoint when stopped. The
 * steps run on the session's Trainer (step/trainer.ts), whichever runtime that is: the loop has no
 * branch on it. The public entry point, with the quick path, is jobs/train.ts.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { augmentBatch, createRng } from '../data/augment';
import { AbortedError, UserError } from '../errors';
import { ClassificationAccumulator } from '../metrics/metrics';
import type { CheckpointManifest, TrainConfig, TrainEvent } from '../types';
import { bestEpoch } from '../checkpoint/best-checkpoint';
import { pruneCheckpoints, writeCheckpoint, type TrainState } from '../checkpoint/checkpoint';
import { validateTrainConfig } from './config';
import { epochOrder, stepSeed } from '../data/data-order';
import { headOnlyAt } from '../step/fine-tune';
import { RecentRate } from './throughput';
import { checkDivergence, divergenceThreshold } from './divergence';
import { forEachLogitsBatch } from '../model/inference';
import { appendEpochMetrics, truncateEpochMetrics, writeRunJson } from './run-log';
import { learningRateAt } from './schedule';
import { findResumePoint, loadSessionData, prepareModel, sessionConfig } from './setup';
import { withInitArchitecture } from './init-config';

type DoneEvent = Extract<TrainEvent, { type: 'done' }>;
type EpochEvent = Extract<TrainEvent, { type: 'epoch' }>;

const positionOf = (s: TrainState) => `${s.epochsCompleted}:${s.stepInEpoch}`;

/** At most this many batch events per second (plus the last batch of each epoch). */
const BATCH_EVENTS_PER_SEC = 4;
/** Validation batch size cap: inference keeps no gradients, but 224px images are still large. */
const MAX_VALIDATION_BATCH = 64;

export interface TrainOptions {
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
  resume?: boolean;
}

/**
 * A fresh run with `linearProbe` set: the quick path (transfer/linear-probe.ts, which sits above
 * this folder and so is handed in by jobs/train.ts), its result as the 'done' event's fields.
 */
export type QuickPath = (config: TrainConfig, options: TrainOptions) => Promise<Omit<DoneEvent, 'type' | 'elapsedSec'>>;

/** The run that train() (jobs/train.ts) describes, with the quick path handed in. */
export async function runTraining(requested: TrainConfig, options: TrainOptions, quickPath: QuickPath): Promise<DoneEvent> {
  const { signal } = options;
  const emit = options.onEvent ?? (() => undefined);
  validateTrainConfig(requested);
  const outDir = path.resolve(requested.outDir);
  const resume = await findResumePoint(outDir, Boolean(options.resume));
  // A resumed run keeps its checkpoint's config; a new one started from another model takes that model's architecture.
  const config = sessionConfig({ ...(resume ? requested : await withInitArchitecture(requested)), outDir }, resume);
  const sessionStart = performance.now();
  const priorSec = resume?.state.elapsedSec ?? 0;
  const elapsed = () => priorSec + (performance.now() - sessionStart) / 1000;
  const finish = (e: Omit<DoneEvent, 'type' | 'elapsedSec'>): DoneEvent => {
    const done: DoneEvent = { type: 'done', ...e, elapsedSec: elapsed() };
    emit(done);
    return done;
  };

  if (config.linearProbe && !resume) return finish(await quickPath(config, options));

  if (resume && resume.state.epochsCompleted >= config.epochs) {
    const { epochsCompleted, bestValAccuracy } = resume.state;
    return finish({ status: 'completed', epochsCompleted, bestValAccuracy, checkpoint: resume.dir });
  }
  let data;
  try {
    data = await loadSessionData(config, resume, signal);
  } catch (error) {
    if (!(error instanceof AbortedError)) throw error;
    const s = resume?.state;
    return finish({ status: 'stopped', epochsCompleted: s?.epochsCompleted ?? 0, bestValAccuracy: s?.bestValAccuracy ?? 0, checkpoint: resume?.dir ?? null });
  }
  const { dataset, prep, train: trainSplit, trainIndices, validation, validationIndices } = data;
  const stepsPerEpoch = Math.ceil(trainIndices.length / config.batchSize);
  const session = await prepareModel(config, dataset.classes, resume);
  const { model, sgd, microBatchSize, trainer } = session;

  try {
    const state: TrainState = resume
      ? { ...resume.state }
      : {
          formatVersion: 1,
          epochsCompleted: 0,
          stepInEpoch: 0,
          stepsPerEpoch,
          trainCount: trainIndices.length,
          partialLossSum: 0,
          partialCorrect: 0,
          partialSeen: 0,
          bestValAccuracy: 0,
          elapsedSec: 0,
        };
    if (state.stepsPerEpoch !== stepsPerEpoch || state.trainCount !== trainIndices.length) {
      throw new UserError(
        `${dataset.root} now gives ${trainIndices.length} training images (${stepsPerEpoch} steps per epoch) but the run was saved with ${state.trainCount} (${state.stepsPerEpoch})`,
        'dataset-mismatch',
      );
    }
    const metrics: CheckpointManifest['metrics'] = resume ? [...resume.manifest.metrics] : [];
    let lastCheckpoint: string | null = resume?.dir ?? null;
    const schedule = { lr: config.lr, epochs: config.epochs, warmupEpochs: config.warmupEpochs, stepsPerEpoch };

    await writeRunJson(outDir, { config, classes: dataset.classes, backend: session.backend, microBatchSize });
    await truncateEpochMetrics(outDir, state.epochsCompleted);
    emit({
      type: 'start',
      backend: session.backend,
      config,
      classes: dataset.classes,
      trainCount: trainIndices.length,
      validationCount: validationIndices.length,
      stepsPerEpoch,
      microBatchSize,
      startEpoch: state.epochsCompleted,
      knownClasses: session.knownClasses,
    });

    // The schedule position of the newest checkpoint on disk, so a stop never saves the same point twice.
    let savedAt = resume ? positionOf(state) : null;
    const save = async (): Promise<void> => {
      await trainer.sync();
      state.elapsedSec = elapsed();
      const manifest: CheckpointManifest = {
        formatVersion: 1,
        createdAt: new Date().toISOString(),
        epoch: state.epochsCompleted,
        config,
        model: session.modelConfig,
        preprocessing: prep,
        classes: dataset.classes,
        metrics,
        backend: session.backend,
        ...(state.stepInEpoch > 0 ? { partial: { step: state.stepInEpoch, stepsPerEpoch } } : {}),
      };
      lastCheckpoint = await writeCheckpoint(outDir, { model, manifest, optimizer: await sgd.getState(), state: { ...state } });
      savedAt = positionOf(state);
      await pruneCheckpoints(outDir, config.keepCheckpoints, bestEpoch(metrics)?.epoch ?? null);
      emit({ type: 'checkpoint', epoch: state.epochsCompleted, path: lastCheckpoint });
    };
    // The run ends where it diverged, without saving those weights: the last checkpoint (an
    // earlier epoch's) stays the run's, and the remedy is a fresh run at a lower rate.
    const diverge = (divergence: NonNullable<DoneEvent['divergence']>): DoneEvent =>
      finish({ status: 'diverged', epochsCompleted: state.epochsCompleted, bestValAccuracy: state.bestValAccuracy, checkpoint: lastCheckpoint, divergence });
    const stop = async (): Promise<DoneEvent> => {
      if (savedAt !== positionOf(state)) await save();
      return finish({ status: 'stopped', epochsCompleted: state.epochsCompleted, bestValAccuracy: state.bestValAccuracy, checkpoint: lastCheckpoint });
    };

    let sessionSteps = 0;
    while (state.epochsCompleted < config.epochs) {
      const epoch = state.epochsCompleted;
      const order = epochOrder(trainIndices, config.seed, epoch);
      // The first sample is the epoch's start, before any step: the first rate covers real work only.
      const throughput = new RecentRate();
      throughput.add(performance.now(), state.partialSeen);
      const threshold = divergenceThreshold(dataset.classes.length, metrics[0]?.trainLoss ?? null);
      let lastEmit = 0;
      for (let step = state.stepInEpoch; step < stepsPerEpoch; step++) {
        if (signal?.aborted) return await stop();
        const batch = order.slice(step * config.batchSize, (step + 1) * config.batchSize);
        const labels = Int32Array.from(batch, (i) => trainSplit.labels[i]);
        let pixels = await trainSplit.readPixels(batch);
        if (config.augment) pixels = augmentBatch(pixels, batch.length, prep.storeSize, createRng(stepSeed(config.seed, epoch, step)));
        const lr = learningRateAt(sgd.step, schedule);
        const headOnly = headOnlyAt(config, epoch);
        const result = await trainer.step(pixels, labels, lr, { prep, labelSmoothing: config.labelSmoothing, headOnly });
        sessionSteps += 1;
        state.stepInEpoch = step + 1;
        state.partialLossSum += result.lossSum;
        state.partialCorrect += result.correct;
        state.partialSeen += result.count;
        const divergence = checkDivergence({
          epoch: epoch + 1,
          step: step + 1,
          stepsPerEpoch,
          stepLoss: result.lossSum / result.count,
          runningLoss: state.partialLossSum / state.partialSeen,
          threshold,
          lr: config.lr,
        });
        const now = performance.now();
        const imagesPerSec = throughput.add(now, state.partialSeen);
        if (divergence || now - lastEmit >= 1000 / BATCH_EVENTS_PER_SEC || step === stepsPerEpoch - 1) {
          lastEmit = now;
          emit({
            type: 'batch',
            epoch: epoch + 1,
            step: step + 1,
            stepsPerEpoch,
            loss: state.partialLossSum / state.partialSeen,
            accuracy: state.partialCorrect / state.partialSeen,
            lr,
            imagesPerSec,
          });
        }
        if (divergence) return diverge(divergence);
      }

      if (signal?.aborted) return await stop();
      const val = new ClassificationAccumulator(dataset.classes.length, config.labelSmoothing);
      if (validation && validationIndices.length > 0) {
        // On the trainer's runtime: ONNX Runtime validates the export of this epoch's weights.
        const runner = await trainer.validationLogits({ model: session.modelConfig, preprocessing: prep, classes: dataset.classes, epoch: epoch + 1 });
        try {
          await forEachLogitsBatch({
            logits: runner.logits,
            split: validation,
            indices: validationIndices,
            batchSize: Math.min(config.batchSize, MAX_VALIDATION_BATCH),
            signal,
            onBatch: (logits, idx) =>
              val.add(
                logits,
                Int32Array.from(idx, (i) => validation.labels[i]),
              ),
          });
        } catch (error) {
          if (error instanceof AbortedError) return await stop();
          throw error;
        } finally {
          await runner.release();
        }
      }

      const entry = {
        epoch: epoch + 1,
        trainLoss: state.partialLossSum / state.partialSeen,
        trainAccuracy: state.partialCorrect / state.partialSeen,
        valLoss: val.loss,
        valAccuracy: val.accuracy,
        valTop5: val.top5Accuracy,
      };
      metrics.push(entry);
      state.epochsCompleted = epoch + 1;
      state.stepInEpoch = 0;
      state.partialLossSum = 0;
      state.partialCorrect = 0;
      state.partialSeen = 0;
      state.bestValAccuracy = Math.max(state.bestValAccuracy, entry.valAccuracy);
      const sessionEpochs = sessionSteps / stepsPerEpoch;
      const sessionSec = (performance.now() - sessionStart) / 1000;
      const event: EpochEvent = {
        type: 'epoch',
        ...entry,
        epochs: config.epochs,
        lr: learningRateAt(Math.max(0, sgd.step - 1), schedule),
        elapsedSec: elapsed(),
        etaSec: sessionEpochs > 0 ? (sessionSec / sessionEpochs) * (config.epochs - state.epochsCompleted) : 0,
      };
      emit(event);
      await appendEpochMetrics(outDir, event);
      await save();
    }
    return finish({ status: 'completed', epochsCompleted: state.epochsCompleted, bestValAccuracy: state.bestValAccuracy, checkpoint: lastCheckpoint });
  } finally {
    await trainer.dispose();
    sgd.dispose();
    model.dispose();
  }
}
