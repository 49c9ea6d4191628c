import { ApiError, type Evaluation, type Handlers } from '../contract';
import type { EvaluationResult } from '../engine/types';
import type { DatasetRow, EvaluationRow, EvaluationSampleRow, RunRow } from '../storage';
import { cifarDisplayPath } from './cifar-record';
import { notFound, requireDataset, requireRun, type ServiceContext } from './context';
import { csvText } from './csv';
import { imageIdFromTreeKey } from './training-data';

type EvaluationHandlers = Pick<
  Handlers,
  'evaluation.run' | 'evaluation.get' | 'evaluation.listForRun' | 'evaluation.samples' | 'evaluation.export'
>;

const evaluationView = (row: EvaluationRow): Evaluation => ({ ...row });

/** Finds the dataset image behind an engine sample id, so the sample can show its thumbnail. */
function sampleSource(context: ServiceContext, dataset: DatasetRow, key: string) {
  const imageId = dataset.kind === 'folder' ? imageIdFromTreeKey(key) : context.storage.images.bySampleKey(dataset.id, key)?.id;
  const image = imageId ? context.storage.images.get(imageId) : undefined;
  return image ? { imageId: image.id, path: image.path, recordIndex: image.recordIndex } : { imageId: null, path: key, recordIndex: null };
}

function storeResult(context: ServiceContext, run: RunRow, dataset: DatasetRow, split: string, result: EvaluationResult): number {
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
    'evaluation.run': async ({ runId, split, limit }) => {
      const run = requireRun(context, runId);
      const dataset = requireDataset(context, run.datasetId);
      if (!run.checkpointDir || !run.dataDir) {
        throw new ApiError('user-error', `Run ${run.id} has no checkpoint yet; train at least one epoch first`);
      }
      context.backend.learnInBackground();
      const chosenSplit = split ?? (dataset.kind === 'cifar10' ? 'test' : 'validation');
      const result = await host.call(
        'evaluate',
        { run: run.runDir, dataset: run.dataDir, split: chosenSplit, limit },
        { onEvent: (e) => events.emit('evaluation.progress', { runId, done: e.done, total: e.total ?? e.done }) },
      );
      return evaluationView(requireEvaluation(storeResult(context, run, dataset, chosenSplit, result)));
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
