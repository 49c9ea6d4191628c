import type { ClassMetrics, TestTimeAugmentation } from '../engine/api/light';
import type { Db } from './database';
import { now } from './database';

export type ClassMetricsRow = ClassMetrics;

export interface EvaluationRow {
  id: number;
  runId: number;
  datasetId: number;
  split: string;
  top1: number;
  top5: number;
  loss: number;
  count: number;
  classes: string[];
  confusion: number[][];
  perClass: ClassMetricsRow[];
  /** The checkpoint measured: the run's best epoch, or its newest checkpoint; null when not recorded. */
  checkpoint: { kind: 'best' | 'last'; epoch: number } | null;
  /** The test-time augmentation that ran ('none' for evaluations made before it was recorded). */
  tta: TestTimeAugmentation;
  createdAt: string;
}

export interface EvaluationSampleRow {
  id: number;
  evaluationId: number;
  sampleKey: string;
  imageId: number | null;
  path: string;
  recordIndex: number | null;
  trueClass: number;
  predictedClass: number;
  probability: number;
}

interface RawEvaluation {
  id: number;
  run_id: number;
  dataset_id: number;
  split: string;
  top1: number;
  top5: number;
  loss: number;
  count: number;
  classes_json: string;
  confusion_json: string;
  per_class_json: string;
  checkpoint_kind: 'best' | 'last' | null;
  checkpoint_epoch: number | null;
  tta: TestTimeAugmentation;
  created_at: string;
}

const toEvaluation = (r: RawEvaluation): EvaluationRow => ({
  id: r.id,
  runId: r.run_id,
  datasetId: r.dataset_id,
  split: r.split,
  top1: r.top1,
  top5: r.top5,
  loss: r.loss,
  count: r.count,
  classes: JSON.parse(r.classes_json) as string[],
  confusion: JSON.parse(r.confusion_json) as number[][],
  perClass: JSON.parse(r.per_class_json) as ClassMetricsRow[],
  checkpoint: r.checkpoint_kind ? { kind: r.checkpoint_kind, epoch: r.checkpoint_epoch ?? 0 } : null,
  tta: r.tta,
  createdAt: r.created_at,
});

const SAMPLE_COLUMNS = `id, evaluation_id AS evaluationId, sample_key AS sampleKey, image_id AS imageId, path,
  record_index AS recordIndex, true_class AS trueClass, predicted_class AS predictedClass, probability`;

export class EvaluationsRepo {
  constructor(private readonly db: Db) {}

  /** Stores an evaluation and its samples in one transaction; returns its id. */
  create(
    evaluation: Omit<EvaluationRow, 'id' | 'createdAt' | 'checkpoint' | 'tta'> & { checkpoint?: EvaluationRow['checkpoint']; tta?: TestTimeAugmentation },
    samples: readonly Omit<EvaluationSampleRow, 'id' | 'evaluationId'>[],
  ): number {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO evaluations (run_id, dataset_id, split, top1, top5, loss, count, classes_json, confusion_json, per_class_json, checkpoint_kind, checkpoint_epoch, tta, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            evaluation.runId,
            evaluation.datasetId,
            evaluation.split,
            evaluation.top1,
            evaluation.top5,
            evaluation.loss,
            evaluation.count,
            JSON.stringify(evaluation.classes),
            JSON.stringify(evaluation.confusion),
            JSON.stringify(evaluation.perClass),
            evaluation.checkpoint?.kind ?? null,
            evaluation.checkpoint?.epoch ?? null,
            evaluation.tta ?? 'none',
            now(),
          ).lastInsertRowid,
      );
      const insert = this.db.prepare(
        `INSERT INTO evaluation_samples (evaluation_id, sample_key, image_id, path, record_index, true_class, predicted_class, probability)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const s of samples) {
        insert.run(id, s.sampleKey, s.imageId, s.path, s.recordIndex, s.trueClass, s.predictedClass, s.probability);
      }
      return id;
    })();
  }

  get(id: number): EvaluationRow | undefined {
    const row = this.db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as RawEvaluation | undefined;
    return row && toEvaluation(row);
  }

  listForRun(runId: number): EvaluationRow[] {
    return (this.db.prepare('SELECT * FROM evaluations WHERE run_id = ? ORDER BY id DESC').all(runId) as RawEvaluation[]).map(toEvaluation);
  }

  sample(id: number): EvaluationSampleRow | undefined {
    return this.db.prepare(`SELECT ${SAMPLE_COLUMNS} FROM evaluation_samples WHERE id = ?`).get(id) as EvaluationSampleRow | undefined;
  }

  /** Samples of one confusion-matrix cell, most confident first. */
  samples(evaluationId: number, trueClass: number, predictedClass: number, offset: number, limit: number) {
    const { total } = this.db
      .prepare('SELECT COUNT(*) AS total FROM evaluation_samples WHERE evaluation_id = ? AND true_class = ? AND predicted_class = ?')
      .get(evaluationId, trueClass, predictedClass) as { total: number };
    const rows = this.db
      .prepare(
        `SELECT ${SAMPLE_COLUMNS} FROM evaluation_samples
         WHERE evaluation_id = ? AND true_class = ? AND predicted_class = ?
         ORDER BY probability DESC, id LIMIT ? OFFSET ?`,
      )
      .all(evaluationId, trueClass, predictedClass, limit, offset) as EvaluationSampleRow[];
    return { total, rows };
  }

  allSamples(evaluationId: number): EvaluationSampleRow[] {
    return this.db.prepare(`SELECT ${SAMPLE_COLUMNS} FROM evaluation_samples WHERE evaluation_id = ? ORDER BY id`).all(evaluationId) as EvaluationSampleRow[];
  }
}
