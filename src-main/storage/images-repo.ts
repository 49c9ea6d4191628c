import type { Db } from './database';
import type { ClassRow } from './datasets-repo';

export interface ImageRow {
  id: number;
  datasetId: number;
  sampleKey: string;
  path: string;
  recordIndex: number | null;
  classId: number | null;
  split: string | null;
  skippedReason: string | null;
}

export interface ImageFilter {
  /** A class id, null for unlabeled, undefined for all. */
  classId?: number | null;
  split?: string;
}

const imageColumns = (t: string) => `${t}.id, ${t}.dataset_id AS datasetId, ${t}.sample_key AS sampleKey, ${t}.path,
  ${t}.record_index AS recordIndex, ${t}.class_id AS classId, ${t}.split, ${t}.skipped_reason AS skippedReason`;
const IMAGE_COLUMNS = imageColumns('images');

/** Images, classes and labels: everything the labeling view changes. */
export class ImagesRepo {
  constructor(private readonly db: Db) {}

  get(id: number): ImageRow | undefined {
    return this.db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`).get(id) as ImageRow | undefined;
  }

  bySampleKey(datasetId: number, sampleKey: string): ImageRow | undefined {
    return this.db
      .prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE dataset_id = ? AND sample_key = ?`)
      .get(datasetId, sampleKey) as ImageRow | undefined;
  }

  /** Usable (not skipped) images in id order, one page at a time. */
  list(datasetId: number, filter: ImageFilter, offset: number, limit: number): { total: number; rows: ImageRow[] } {
    const where = ['dataset_id = ?', 'skipped_reason IS NULL'];
    const params: (number | string)[] = [datasetId];
    if (filter.classId === null) where.push('class_id IS NULL');
    else if (filter.classId !== undefined) {
      where.push('class_id = ?');
      params.push(filter.classId);
    }
    if (filter.split !== undefined) {
      where.push('split = ?');
      params.push(filter.split);
    }
    const clause = where.join(' AND ');
    const { total } = this.db.prepare(`SELECT COUNT(*) AS total FROM images WHERE ${clause}`).get(...params) as { total: number };
    const rows = this.db
      .prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE ${clause} ORDER BY id LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as ImageRow[];
    return { total, rows };
  }

  /** Usable labeled images with their class names, for export and for training a folder dataset. */
  labeled(datasetId: number): (ImageRow & { className: string })[] {
    return this.db
      .prepare(
        `SELECT ${imageColumns('i')}, c.name AS className
         FROM images i JOIN classes c ON c.id = i.class_id
         WHERE i.dataset_id = ? AND i.skipped_reason IS NULL ORDER BY c.position, i.id`,
      )
      .all(datasetId) as (ImageRow & { className: string })[];
  }

  getClass(classId: number): ClassRow | undefined {
    return this.db
      .prepare(
        `SELECT c.id, c.dataset_id AS datasetId, c.position, c.name,
                (SELECT COUNT(*) FROM images i WHERE i.class_id = c.id AND i.skipped_reason IS NULL) AS count
         FROM classes c WHERE c.id = ?`,
      )
      .get(classId) as ClassRow | undefined;
  }

  classByName(datasetId: number, name: string): ClassRow | undefined {
    const row = this.db.prepare('SELECT id FROM classes WHERE dataset_id = ? AND name = ?').get(datasetId, name) as
      | { id: number }
      | undefined;
    return row && this.getClass(row.id);
  }

  createClass(datasetId: number, name: string): ClassRow {
    const id = this.db.transaction(() => {
      const { next } = this.db
        .prepare('SELECT COALESCE(MAX(position) + 1, 0) AS next FROM classes WHERE dataset_id = ?')
        .get(datasetId) as { next: number };
      return Number(
        this.db.prepare('INSERT INTO classes (dataset_id, position, name) VALUES (?, ?, ?)').run(datasetId, next, name).lastInsertRowid,
      );
    })();
    return this.getClass(id) as ClassRow;
  }

  renameClass(classId: number, name: string): ClassRow | undefined {
    this.db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(name, classId);
    return this.getClass(classId);
  }

  /**
   * Sets the class of the given images (null = unlabeled), only for usable images of the
   * class's own dataset. Returns how many rows changed.
   */
  assign(imageIds: readonly number[], classId: number | null, datasetId: number): number {
    return this.db.transaction(() => {
      const update = this.db.prepare(
        'UPDATE images SET class_id = ? WHERE id = ? AND dataset_id = ? AND skipped_reason IS NULL',
      );
      let updated = 0;
      for (const id of imageIds) updated += update.run(classId, id, datasetId).changes;
      return updated;
    })();
  }

  /** The datasets the given images belong to (to reject a mixed or foreign selection). */
  datasetsOf(imageIds: readonly number[]): number[] {
    const ids = new Set<number>();
    const query = this.db.prepare('SELECT dataset_id AS datasetId FROM images WHERE id = ?');
    for (const id of imageIds) {
      const row = query.get(id) as { datasetId: number } | undefined;
      if (row) ids.add(row.datasetId);
    }
    return [...ids];
  }
}
