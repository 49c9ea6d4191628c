import { joinSkipReason, splitSkipReason } from '../engine/data/decode-error';
import type { Db } from './database';
import { now } from './database';

export type DatasetKind = 'cifar10' | 'folder';

export interface DatasetRow {
  id: number;
  name: string;
  kind: DatasetKind;
  root: string;
  createdAt: string;
}

export interface ClassRow {
  id: number;
  datasetId: number;
  position: number;
  name: string;
  count: number;
}

/** One image to insert. `classPosition` indexes the dataset's class list; null means unlabeled. */
export interface NewImage {
  sampleKey: string;
  path: string;
  recordIndex?: number | null;
  classPosition: number | null;
  split?: string | null;
  skippedReason?: string | null;
  /** The decoder's or the OS's own words, kept beside the plain reason. */
  skippedDetail?: string;
}

/** A file the scan could not use, and why. */
export interface SkippedRow {
  path: string;
  reason: string;
  detail?: string;
}

export interface DatasetCounts {
  imageCount: number;
  unlabeledCount: number;
  splits: Record<string, number>;
}

interface RawDataset {
  id: number;
  name: string;
  kind: DatasetKind;
  root: string;
  created_at: string;
}

const toDataset = (r: RawDataset): DatasetRow => ({ id: r.id, name: r.name, kind: r.kind, root: r.root, createdAt: r.created_at });

export class DatasetsRepo {
  constructor(private readonly db: Db) {}

  /** Inserts the dataset, its classes (in order) and all its images in one transaction. */
  create(input: { name: string; kind: DatasetKind; root: string; classes: readonly string[]; images: readonly NewImage[] }): number {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare('INSERT INTO datasets (name, kind, root, created_at) VALUES (?, ?, ?, ?)')
          .run(input.name, input.kind, input.root, now()).lastInsertRowid,
      );
      const insertClass = this.db.prepare('INSERT INTO classes (dataset_id, position, name) VALUES (?, ?, ?)');
      const classIds = input.classes.map((name, position) => Number(insertClass.run(id, position, name).lastInsertRowid));
      this.insertImages(id, classIds, input.images);
      return id;
    })();
  }

  /** Adds images to an existing dataset; returns how many were new (same sample key = already there). */
  addImages(datasetId: number, images: readonly { sampleKey: string; path: string; classId: number | null }[]): number {
    return this.db.transaction(() => {
      const insert = this.db.prepare(
        'INSERT OR IGNORE INTO images (dataset_id, sample_key, path, class_id) VALUES (?, ?, ?, ?)',
      );
      let added = 0;
      for (const image of images) added += insert.run(datasetId, image.sampleKey, image.path, image.classId).changes;
      return added;
    })();
  }

  private insertImages(datasetId: number, classIds: number[], images: readonly NewImage[]): void {
    const insert = this.db.prepare(
      `INSERT INTO images (dataset_id, sample_key, path, record_index, class_id, split, skipped_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const image of images) {
      const classId = image.classPosition === null ? null : classIds[image.classPosition];
      if (classId === undefined) throw new RangeError(`class position ${image.classPosition} out of range`);
      // One column holds the reason and its detail (joinSkipReason), so no migration was needed for the detail.
      const skipped = image.skippedReason ? joinSkipReason(image.skippedReason, image.skippedDetail) : null;
      insert.run(datasetId, image.sampleKey, image.path, image.recordIndex ?? null, classId, image.split ?? null, skipped);
    }
  }

  get(id: number): DatasetRow | undefined {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as RawDataset | undefined;
    return row && toDataset(row);
  }

  list(): DatasetRow[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY id').all() as RawDataset[]).map(toDataset);
  }

  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes > 0;
  }

  /** Classes in position order with their labeled (non-skipped) image counts. */
  classes(datasetId: number): ClassRow[] {
    return this.db
      .prepare(
        `SELECT c.id, c.dataset_id AS datasetId, c.position, c.name,
                (SELECT COUNT(*) FROM images i WHERE i.class_id = c.id AND i.skipped_reason IS NULL) AS count
         FROM classes c WHERE c.dataset_id = ? ORDER BY c.position`,
      )
      .all(datasetId) as ClassRow[];
  }

  counts(datasetId: number): DatasetCounts {
    const totals = this.db
      .prepare(
        `SELECT COUNT(*) AS imageCount, COALESCE(SUM(class_id IS NULL), 0) AS unlabeledCount
         FROM images WHERE dataset_id = ? AND skipped_reason IS NULL`,
      )
      .get(datasetId) as { imageCount: number; unlabeledCount: number };
    const splits: Record<string, number> = {};
    const rows = this.db
      .prepare(
        `SELECT split, COUNT(*) AS n FROM images
         WHERE dataset_id = ? AND skipped_reason IS NULL AND split IS NOT NULL GROUP BY split ORDER BY split`,
      )
      .all(datasetId) as { split: string; n: number }[];
    for (const row of rows) splits[row.split] = row.n;
    return { ...totals, splits };
  }

  /** Skipped files in the order they were stored (the scan stores them in natural order). */
  skipped(datasetId: number): SkippedRow[] {
    const rows = this.db
      .prepare('SELECT path, skipped_reason AS text FROM images WHERE dataset_id = ? AND skipped_reason IS NOT NULL ORDER BY id')
      .all(datasetId) as { path: string; text: string }[];
    return rows.map(({ path, text }) => ({ path, ...splitSkipReason(text) }));
  }
}
