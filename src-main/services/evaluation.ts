import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, type CheckpointKind, type Evaluation, type Handlers } from '../contract';
import { bestEpoch, epochCheckpointDir, type EvaluationResult } from '../engine/api/light';
import type { DatasetRow, EvaluationRow, EvaluationSampleRow, RunRow } from '../storage';
import { cifarDisplayPath } from './cifar-record';
import { notFound, requireDataset, requireRun, type ServiceContext } from './context';
import { csvText } from './csv';
import { imageIdFromTreeKey } from './training-data';

type EvaluationHandlers = Pick<Handlers, 'evaluation.run' | 'evaluation.get' | 'evaluation.listForRun' | 'evaluation.samples' | 'evaluation.export'>;

const evaluationView = (row: EvaluationRow): Evaluation => ({ ...row });

/** Finds the dataset image behind an engine sample id, so the sample can show its thumbnail. */
function sampleSource(context: ServiceContext, dataset: DatasetRow, key: string) {
  const imageId = dataset.kind === 'folder' ? imageIdFromTreeKey(key) : context.storage.images.bySampleKey(dataset.id, key)?.id;
  const image = imageId ? context.storage.images.get(imageId) : undefined;
  return image ? { imageId: image.id, path: image.path, recordIndex: image.recordIndex } : { imageId: null, path: key, recordIndex: null };
}

/**
 * The checkpoint to measure: the best epoch's (what the run list's best validation accuracy comes
 * from) unless the newest is asked for, or the best one is not on disk (runs pruned before the
 * engine kept it): then the run folder, whose newest checkpoint the engine opens.
 */
export function chooseCheckpoint(context: ServiceContext, run: RunRow, wanted: CheckpointKind): { path: string; checkpoint: EvaluationRow['checkpoint'] } {
  const best = wanted === 'best' ? bestEpoch(context.storage.runs.epochs(run.id)) : null;
  if (best) {
    const dir = epochCheckpointDir(run.runDir, best.epoch);
    if (existsSync(join(dir, 'manifest.json'))) return { path: dir, checkpoint: { kind: 'best', epoch: best.epoch } };
  }
  return { path: run.runDir, checkpoint: { kind: 'last', epoch: run.epochsCompleted } };
}

function storeResult(
  context: ServiceContext,
  run: RunRow,
  dataset: DatasetRow,
  split: string,
  result: EvaluationResult,
  checkpoint: EvaluationRow['checkpoint'],
): number {
  const samples: Omit<EvaluationSampleRow, 'id' | 'evaluationId'>[] = (result.samples ?? result.misclassified).map((m) => ({
    sampleKey: m.id,
    ...sampleSource(context, dataset, m.id),
    trueClass: m.trueLabel,
    predictedClass: m.predicted,
    probability: m.probability,
  }));
  return context.storage.evaluations.create(
    {
      runId: run.id,
      datasetId: dataset.id,
      split,
      top1: result.top1,
      top5: result.top5,
      loss: result.loss,
      count: result.count,
      classes: result.classes,
      confusion: result.confusion,
      perClass: result.perClass,
      checkpoint,
      tta: result.tta,
    },
    samples,
  );
}

/** One row per true class: precision, recall, F1, support, then its confusion-matrix row. */
function exportCsv(evaluation: EvaluationRow): string {
  const rows = evaluation.classes.map((name, i) => {
    const m = evaluation.perClass[i];
    return [name, m.precision, m.recall, m.f1, m.support, ...evaluation.confusion[i]];
  });
  return csvText(['class', 'precision', 'recall', 'f1', 'support', ...evaluation.classes.map((c) => `predicted_${c}`)], rows);
}

/**
 * Evaluations run in the ML host on the run's own data (its split of a folder dataset, or the
 * CIFAR-10 test set). Every sample the engine reports is kept, so a confusion-matrix cell can show
 * its images: all of them when the engine fills `samples`, else only the misclassified ones (and
 * diagonal cells stay empty).
 */
export function evaluationHandlers(context: ServiceContext): EvaluationHandlers {
  const { storage, host, events } = context;

  const requireEvaluation = (id: number) => {
    const found = storage.evaluations.get(id);
    if (!found) throw notFound('Evaluation', id);
    return found;
  };

  return {
    'evaluation.run': async ({ runId, split, limit, checkpoint: wanted, tta }) => {
      const run = requireRun(context, runId);
      const dataset = requireDataset(context, run.datasetId);
      if (!run.checkpointDir || !run.dataDir) {
        throw new ApiError('user-error', `Run ${run.id} has no checkpoint yet; train at least one epoch first`);
      }
      context.backend.learnInBackground();
      const chosenSplit = split ?? (dataset.kind === 'cifar10' ? 'test' : 'validation');
      const { path, checkpoint } = chooseCheckpoint(context, run, wanted ?? 'best');
      const result = await host.call(
        'evaluate',
        { run: path, dataset: run.dataDir, split: chosenSplit, limit, tta },
        { onEvent: (e) => events.emit('evaluation.progress', { runId, done: e.done, total: e.total ?? e.done }) },
      );
      return evaluationView(requireEvaluation(storeResult(context, run, dataset, chosenSplit, result, checkpoint)));
    },

    'evaluation.get': ({ id }) => evaluationView(requireEvaluation(id)),

    'evaluation.listForRun': ({ runId }) => {
      requireRun(context, runId);
      return storage.evaluations.listForRun(runId).map(evaluationView);
    },

    'evaluation.samples': ({ evaluationId, trueClass, predictedClass, offset, limit }) => {
      const evaluation = requireEvaluation(evaluationId);
      const classes = evaluation.classes;
      if (trueClass >= classes.length || predictedClass >= classes.length) {
        throw new ApiError('invalid-input', `Class index out of range (the evaluation has ${classes.length} classes)`);
      }
      const { total, rows } = storage.evaluations.samples(evaluationId, trueClass, predictedClass, offset, limit);
      return {
        total,
        items: rows.map((row) => ({
          sampleId: row.id,
          path: row.recordIndex === null ? row.path : cifarDisplayPath(row.path, row.recordIndex),
          thumbUrl: context.media.url('thumb', 'sample', row.id),
          trueLabel: classes[row.trueClass],
          predictedLabel: classes[row.predictedClass],
          probability: row.probability,
        })),
      };
    },

    'evaluation.export': ({ evaluationId, format }) => {
      const evaluation = requireEvaluation(evaluationId);
      const base = `evaluation-${evaluation.id}-run-${evaluation.runId}-${evaluation.split}`;
      if (format === 'csv') return { filename: `${base}.csv`, content: exportCsv(evaluation) };
      const samples = storage.evaluations.allSamples(evaluationId).map((s) => ({
        id: s.sampleKey,
        path: s.recordIndex === null ? s.path : cifarDisplayPath(s.path, s.recordIndex),
        trueLabel: evaluation.classes[s.trueClass],
        predictedLabel: evaluation.classes[s.predictedClass],
        probability: s.probability,
      }));
      return { filename: `${base}.json`, content: JSON.stringify({ ...evaluationView(evaluation), misclassified: samples }, null, 2) };
    },
  };
}
