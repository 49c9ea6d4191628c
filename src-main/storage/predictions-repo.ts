import type { TestTimeAugmentation } from '../engine/api/light';
import type { Db } from './database';
import { now } from './database';

export type PredictionJobStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface PredictionJobRow {
  id: string;
  runId: number;
  folder: string;
  status: PredictionJobStatus;
  total: number | null;
  predicted: number;
  skipped: number;
  error: string | null;
  /** The test-time augmentation the job runs with ('none' for jobs made before it was recorded). */
  tta: TestTimeAugmentation;
  createdAt: string;
  finishedAt: string | null;
}

export interface PredictionTopRow {
  label: string;
  probability: number;
}

export interface PredictionItemRow {
  id: number;
  jobId: string;
  path: string;
  top: PredictionTopRow[] | null;
  skippedReason: string | null;
}

interface RawItem {
  id: number;
  job_id: string;
  path: string;
  top_json: string | null;
  skipped_reason: string | null;
}

/** What one `predict.accept` changed, so that its undo puts back exactly that. */
export interface AcceptRecord {
  datasetId: number;
  /** Images the accept inserted into the dataset. */
  addedImageIds: number[];
  /** Images that were there and took the predicted class (classId), with the class they had before. */
  relabeled: { imageId: number; previousClassId: number | null; classId: number }[];
  /** Classes the accept created for labels the dataset did not have. */
  createdClassIds: number[];
}

const toItem = (r: RawItem): PredictionItemRow => ({
  id: r.id,
  jobId: r.job_id,
  path: r.path,
  top: r.top_json === null ? null : (JSON.parse(r.top_json) as PredictionTopRow[]),
  skippedReason: r.skipped_reason,
});

const JOB_COLUMNS = `id, run_id AS runId, folder, status, total, predicted, skipped, error, tta, created_at AS createdAt, finished_at AS finishedAt`;

export class PredictionsRepo {
  constructor(private readonly db: Db) {}

  createJob(id: string, runId: number, folder: string, tta: TestTimeAugmentation = 'none'): PredictionJobRow {
    this.db
      .prepare(`INSERT INTO prediction_jobs (id, run_id, folder, status, tta, created_at) VALUES (?, ?, ?, 'running', ?, ?)`)
      .run(id, runId, folder, tta, now());
    return this.getJob(id) as PredictionJobRow;
  }

  getJob(id: string): PredictionJobRow | undefined {
    return this.db.prepare(`SELECT ${JOB_COLUMNS} FROM prediction_jobs WHERE id = ?`).get(id) as PredictionJobRow | undefined;
  }

  /** Ends a job; also used at start-up for jobs an earlier session left running. */
  finishJob(id: string, status: Exclude<PredictionJobStatus, 'running'>, error: string | null = null): void {
    this.db.prepare('UPDATE prediction_jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?').run(status, error, now(), id);
  }

  setTotal(id: string, total: number | null): void {
    this.db.prepare('UPDATE prediction_jobs SET total = ? WHERE id = ?').run(total, id);
  }

  /** Stores one result and bumps the job's counters in one transaction; returns the item's id. */
  addItem(jobId: string, path: string, top: PredictionTopRow[] | null, skippedReason: string | null): number {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare('INSERT INTO prediction_items (job_id, path, top_json, skipped_reason) VALUES (?, ?, ?, ?)')
          .run(jobId, path, top === null ? null : JSON.stringify(top), skippedReason).lastInsertRowid,
      );
      const column = skippedReason === null ? 'predicted' : 'skipped';
      this.db.prepare(`UPDATE prediction_jobs SET ${column} = ${column} + 1 WHERE id = ?`).run(jobId);
      return id;
    })();
  }

  items(jobId: string): PredictionItemRow[] {
    return (this.db.prepare('SELECT * FROM prediction_items WHERE job_id = ? ORDER BY id').all(jobId) as RawItem[]).map(toItem);
  }

  item(id: number): PredictionItemRow | undefined {
    const row = this.db.prepare('SELECT * FROM prediction_items WHERE id = ?').get(id) as RawItem | undefined;
    return row && toItem(row);
  }

  /**
   * Undoes one accept in one transaction: removes the images it added, gives the images it labeled
   * their previous class unless someone relabeled them since, and drops the classes it created if
   * they are empty again. Returns how many images were put back.
   */
  undoAccept(record: AcceptRecord): number {
    return this.db.transaction(() => {
      let restored = 0;
      const remove = this.db.prepare('DELETE FROM images WHERE id = ? AND dataset_id = ?');
      for (const id of record.addedImageIds) restored += remove.run(id, record.datasetId).changes;
      const relabel = this.db.prepare('UPDATE images SET class_id = ?, labeled_at = ? WHERE id = ? AND dataset_id = ? AND class_id IS ?');
      const now = new Date().toISOString();
      for (const change of record.relabeled) restored += relabel.run(change.previousClassId, now, change.imageId, record.datasetId, change.classId).changes;
      const dropEmpty = this.db.prepare('DELETE FROM classes WHERE id = ? AND dataset_id = ? AND NOT EXISTS (SELECT 1 FROM images WHERE class_id = ?)');
      for (const id of record.createdClassIds) dropEmpty.run(id, record.datasetId, id);
      return restored;
    })();
  }

  /** Keeps an accept's record under `id`, and only the newest `kept` of them. */
  keepAccept(id: string, record: AcceptRecord, kept: number): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO accept_records (id, dataset_id, record_json, created_at) VALUES (?, ?, ?, ?)')
        .run(id, record.datasetId, JSON.stringify(record), new Date().toISOString());
      this.db.prepare('DELETE FROM accept_records WHERE rowid NOT IN (SELECT rowid FROM accept_records ORDER BY rowid DESC LIMIT ?)').run(kept);
    })();
  }

  /** The record kept under `id`, removed; undefined when there is none. */
  takeAccept(id: string): AcceptRecord | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT record_json AS json FROM accept_records WHERE id = ?').get(id) as { json: string } | undefined;
      this.db.prepare('DELETE FROM accept_records WHERE id = ?').run(id);
      return row ? (JSON.parse(row.json) as AcceptRecord) : undefined;
    })();
  }

  runningJobs(): PredictionJobRow[] {
    return this.db.prepare(`SELECT ${JOB_COLUMNS} FROM prediction_jobs WHERE status = 'running'`).all() as PredictionJobRow[];
  }
}
