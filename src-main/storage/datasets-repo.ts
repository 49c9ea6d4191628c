import { joinSkipReason, splitSkipReason } from '../engine/api/light';
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

/** One file of a new scan of a folder dataset: its class folder's name, or why it was skipped. */
export interface RescannedImage {
  sampleKey: string;
  path: string;
  className: string | null;
  skippedReason?: string;
  skippedDetail?: string;
}

export interface RescanCounts {
  /** Files new to the dataset (usable or skipped). */
  added: number;
  /** Files already there that became usable or unusable. */
  changed: number;
  /** Usable files the scan did not find any more: kept, with their labels, as skipped. */
  missing: number;
}

/** The skip reason of a file a rescan no longer finds; the row stays, so its label is not lost. */
export const MISSING_REASON = 'no longer in the folder (its label is kept)';

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
        this.db.prepare('INSERT INTO datasets (name, kind, root, created_at) VALUES (?, ?, ?, ?)').run(input.name, input.kind, input.root, now())
          .lastInsertRowid,
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
      const insert = this.db.prepare('INSERT OR IGNORE INTO images (dataset_id, sample_key, path, class_id) VALUES (?, ?, ?, ?)');
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

  /**
   * Brings a folder dataset up to date with a new scan, in one transaction, losing no label: new
   * files come in with their folder's class (new class folders become classes at the end), known
   * files keep their label and only change whether they are usable, and files gone from the folder
   * stay as skipped rows.
   */
  rescan(datasetId: number, images: readonly RescannedImage[]): RescanCounts {
    return this.db.transaction(() => {
      const classIds = new Map(this.classes(datasetId).map((c) => [c.name, c.id]));
      const classId = (name: string | null) => {
        if (name === null) return null;
        let id = classIds.get(name);
        if (id === undefined) {
          const { next } = this.db.prepare('SELECT COALESCE(MAX(position) + 1, 0) AS next FROM classes WHERE dataset_id = ?').get(datasetId) as {
            next: number;
          };
          id = Number(this.db.prepare('INSERT INTO classes (dataset_id, position, name) VALUES (?, ?, ?)').run(datasetId, next, name).lastInsertRowid);
          classIds.set(name, id);
        }
        return id;
      };
      const known = new Map(
        (
          this.db
            .prepare('SELECT id, sample_key AS sampleKey, class_id AS classId, skipped_reason AS skipped FROM images WHERE dataset_id = ?')
            .all(datasetId) as {
            id: number;
            sampleKey: string;
            classId: number | null;
            skipped: string | null;
          }[]
        ).map((row) => [row.sampleKey, row]),
      );
      const insert = this.db.prepare('INSERT INTO images (dataset_id, sample_key, path, class_id, skipped_reason) VALUES (?, ?, ?, ?, ?)');
      const update = this.db.prepare('UPDATE images SET path = ?, class_id = ?, skipped_reason = ? WHERE id = ?');
      const counts: RescanCounts = { added: 0, changed: 0, missing: 0 };
      for (const image of images) {
        const skipped = image.skippedReason ? joinSkipReason(image.skippedReason, image.skippedDetail) : null;
        const row = known.get(image.sampleKey);
        known.delete(image.sampleKey);
        if (!row) {
          insert.run(datasetId, image.sampleKey, image.path, skipped === null ? classId(image.className) : null, skipped);
          counts.added++;
        } else if (row.skipped !== skipped) {
          // A file that becomes usable keeps the label it had; one without a label takes its folder's class.
          const label = skipped === null && row.classId === null ? classId(image.className) : row.classId;
          update.run(image.path, label, skipped, row.id);
          if ((row.skipped === null) !== (skipped === null)) counts.changed++;
        }
      }
      for (const row of known.values()) {
        if (row.skipped !== null) continue;
        this.db.prepare('UPDATE images SET skipped_reason = ? WHERE id = ?').run(MISSING_REASON, row.id);
        counts.missing++;
      }
      return counts;
    })();
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
