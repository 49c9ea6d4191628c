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
  /** 1 when left out of training. */
  excluded: number;
}

/** A listed image with the model's guess, when it has one. */
export interface ListedImageRow extends ImageRow {
  suggestedClassId: number | null;
  suggestedConfidence: number | null;
  suggestedMargin: number | null;
}

export type ImageOrder = 'file' | 'random' | 'least-certain';

export interface ImageFilter {
  /** A class id, null for unlabeled, undefined for all. */
  classId?: number | null;
  split?: string;
}

const imageColumns = (t: string) => `${t}.id, ${t}.dataset_id AS datasetId, ${t}.sample_key AS sampleKey, ${t}.path,
  ${t}.record_index AS recordIndex, ${t}.class_id AS classId, ${t}.split, ${t}.skipped_reason AS skippedReason, ${t}.excluded`;
const IMAGE_COLUMNS = imageColumns('images');

/** Images, classes and labels: everything the labeling view changes. */
export class ImagesRepo {
  constructor(private readonly db: Db) {}

  get(id: number): ImageRow | undefined {
    return this.db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`).get(id) as ImageRow | undefined;
  }

  bySampleKey(datasetId: number, sampleKey: string): ImageRow | undefined {
    return this.db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE dataset_id = ? AND sample_key = ?`).get(datasetId, sampleKey) as ImageRow | undefined;
  }

  private where(datasetId: number, filter: ImageFilter): { clause: string; params: (number | string)[] } {
    const where = ['images.dataset_id = ?', 'images.skipped_reason IS NULL'];
    const params: (number | string)[] = [datasetId];
    if (filter.classId === null) where.push('images.class_id IS NULL');
    else if (filter.classId !== undefined) {
      where.push('images.class_id = ?');
      params.push(filter.classId);
    }
    if (filter.split !== undefined) {
      where.push('images.split = ?');
      params.push(filter.split);
    }
    return { clause: where.join(' AND '), params };
  }

  /**
   * Usable (not skipped) images, one page at a time, in file (id) order, a fixed shuffle (the same
   * on every page, so paging never repeats or skips an image), or least certain first: unlabeled
   * images by their suggestion's margin, then the rest in id order. Unlabeled images come with
   * their suggestion.
   */
  list(datasetId: number, filter: ImageFilter, offset: number, limit: number, order: ImageOrder = 'file'): { total: number; rows: ListedImageRow[] } {
    const { clause, params } = this.where(datasetId, filter);
    const { total } = this.db.prepare(`SELECT COUNT(*) AS total FROM images WHERE ${clause}`).get(...params) as { total: number };
    const orderBy = {
      file: 'images.id',
      // A multiplicative hash of the id: a shuffle that needs no stored permutation.
      random: '(images.id * 2654435761) % 4294967296, images.id',
      'least-certain': 'CASE WHEN images.class_id IS NULL AND s.margin IS NOT NULL THEN 0 ELSE 1 END, s.margin, images.id',
    }[order];
    const rows = this.db
      .prepare(
        `SELECT ${IMAGE_COLUMNS},
                CASE WHEN images.class_id IS NULL THEN s.class_id END AS suggestedClassId,
                CASE WHEN images.class_id IS NULL THEN s.confidence END AS suggestedConfidence,
                CASE WHEN images.class_id IS NULL THEN s.margin END AS suggestedMargin
         FROM images LEFT JOIN suggestions s ON s.image_id = images.id
         WHERE ${clause} ORDER BY ${orderBy} LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as ListedImageRow[];
    return { total, rows };
  }

  /** Every usable image id in a filter, in id order. */
  ids(datasetId: number, filter: ImageFilter): number[] {
    const { clause, params } = this.where(datasetId, filter);
    return (this.db.prepare(`SELECT images.id FROM images WHERE ${clause} ORDER BY images.id`).all(...params) as { id: number }[]).map((r) => r.id);
  }

  /** Usable unlabeled images, for suggestions. */
  unlabeled(datasetId: number): ImageRow[] {
    return this.db
      .prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE dataset_id = ? AND class_id IS NULL AND skipped_reason IS NULL ORDER BY id`)
      .all(datasetId) as ImageRow[];
  }

  /** Images whose label was set, changed or removed after `since` (ISO time). */
  labelsChangedSince(datasetId: number, since: string): number {
    const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM images WHERE dataset_id = ? AND labeled_at > ?').get(datasetId, since) as { n: number };
    return n;
  }

  /** Leaves images out of training, or takes them back. */
  setExcluded(imageIds: readonly number[], excluded: boolean, datasetId: number): number {
    return this.db.transaction(() => {
      const update = this.db.prepare('UPDATE images SET excluded = ? WHERE id = ? AND dataset_id = ?');
      let updated = 0;
      for (const id of imageIds) updated += update.run(excluded ? 1 : 0, id, datasetId).changes;
      return updated;
    })();
  }

  /**
   * Usable labeled images with their class names, for export and (`forTraining`: without the
   * images left out of training) for training a folder dataset.
   */
  labeled(datasetId: number, options: { forTraining?: boolean } = {}): (ImageRow & { className: string })[] {
    return this.db
      .prepare(
        `SELECT ${imageColumns('i')}, c.name AS className
         FROM images i JOIN classes c ON c.id = i.class_id
         WHERE i.dataset_id = ? AND i.skipped_reason IS NULL ${options.forTraining ? 'AND i.excluded = 0' : ''} ORDER BY c.position, i.id`,
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
    const row = this.db.prepare('SELECT id FROM classes WHERE dataset_id = ? AND name = ?').get(datasetId, name) as { id: number } | undefined;
    return row && this.getClass(row.id);
  }

  createClass(datasetId: number, name: string): ClassRow {
    const id = this.db.transaction(() => {
      const { next } = this.db.prepare('SELECT COALESCE(MAX(position) + 1, 0) AS next FROM classes WHERE dataset_id = ?').get(datasetId) as { next: number };
      return Number(this.db.prepare('INSERT INTO classes (dataset_id, position, name) VALUES (?, ?, ?)').run(datasetId, next, name).lastInsertRowid);
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
      // Only a real change stamps the time: "trained before 37 labels changed" counts changes, not key presses.
      const update = this.db.prepare(
        `UPDATE images SET labeled_at = CASE WHEN class_id IS NOT ? THEN ? ELSE labeled_at END, class_id = ?
         WHERE id = ? AND dataset_id = ? AND skipped_reason IS NULL`,
      );
      const now = new Date().toISOString();
      let updated = 0;
      for (const id of imageIds) updated += update.run(classId, now, classId, id, datasetId).changes;
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
