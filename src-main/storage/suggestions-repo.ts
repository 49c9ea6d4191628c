import type { Db } from './database';

export interface SuggestionRow {
  imageId: number;
  classId: number;
  confidence: number;
  margin: number;
}

export interface SuggestionSetRow {
  datasetId: number;
  runId: number | null;
  computedAt: string;
}

/** The model's guesses for a dataset's unlabeled images: one set per dataset, replaced as a whole. */
export class SuggestionsRepo {
  constructor(private readonly db: Db) {}

  /** Replaces the dataset's suggestions with those of `runId`, in one transaction. */
  replace(datasetId: number, runId: number, rows: readonly SuggestionRow[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM suggestions WHERE dataset_id = ?').run(datasetId);
      const insert = this.db.prepare('INSERT INTO suggestions (image_id, dataset_id, class_id, confidence, margin) VALUES (?, ?, ?, ?, ?)');
      for (const row of rows) insert.run(row.imageId, datasetId, row.classId, row.confidence, row.margin);
      this.db
        .prepare(
          'INSERT INTO suggestion_sets (dataset_id, run_id, computed_at) VALUES (?, ?, ?) ON CONFLICT (dataset_id) DO UPDATE SET run_id = excluded.run_id, computed_at = excluded.computed_at',
        )
        .run(datasetId, runId, new Date().toISOString());
    })();
  }

  set(datasetId: number): SuggestionSetRow | undefined {
    return this.db
      .prepare('SELECT dataset_id AS datasetId, run_id AS runId, computed_at AS computedAt FROM suggestion_sets WHERE dataset_id = ?')
      .get(datasetId) as SuggestionSetRow | undefined;
  }

  /** Unlabeled, usable images with a suggestion at least `minConfidence` sure (of `classId` only, when given). */
  acceptable(datasetId: number, minConfidence: number, classId?: number): SuggestionRow[] {
    return this.db
      .prepare(
        `SELECT s.image_id AS imageId, s.class_id AS classId, s.confidence, s.margin
         FROM suggestions s JOIN images i ON i.id = s.image_id
         WHERE s.dataset_id = ? AND i.class_id IS NULL AND i.skipped_reason IS NULL AND s.confidence >= ? ${classId === undefined ? '' : 'AND s.class_id = ?'}
         ORDER BY i.id`,
      )
      .all(...[datasetId, minConfidence, ...(classId === undefined ? [] : [classId])]) as SuggestionRow[];
  }

  /** Unlabeled, usable images that have a suggestion. */
  count(datasetId: number): number {
    const { n } = this.db
      .prepare(
        'SELECT COUNT(*) AS n FROM suggestions s JOIN images i ON i.id = s.image_id WHERE s.dataset_id = ? AND i.class_id IS NULL AND i.skipped_reason IS NULL',
      )
      .get(datasetId) as { n: number };
    return n;
  }
}
