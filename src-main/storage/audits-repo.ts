import type { Db } from './database';

export interface AuditRow {
  datasetId: number;
  createdAt: string;
  /** The engine's report with paths mapped to image ids (services/audit.ts). */
  reportJson: string;
}

/** A dataset's last audit, and the images the person said are labeled right since. */
export class AuditsRepo {
  constructor(private readonly db: Db) {}

  /** Stores a new audit; what was kept under the last one is judged again. */
  replace(datasetId: number, reportJson: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM audit_kept WHERE image_id IN (SELECT id FROM images WHERE dataset_id = ?)').run(datasetId);
      this.db
        .prepare(
          'INSERT INTO audits (dataset_id, created_at, report_json) VALUES (?, ?, ?) ON CONFLICT (dataset_id) DO UPDATE SET created_at = excluded.created_at, report_json = excluded.report_json',
        )
        .run(datasetId, new Date().toISOString(), reportJson);
    })();
  }

  get(datasetId: number): AuditRow | undefined {
    return this.db
      .prepare('SELECT dataset_id AS datasetId, created_at AS createdAt, report_json AS reportJson FROM audits WHERE dataset_id = ?')
      .get(datasetId) as AuditRow | undefined;
  }

  keep(imageId: number): void {
    this.db.prepare('INSERT OR IGNORE INTO audit_kept (image_id) VALUES (?)').run(imageId);
  }

  kept(datasetId: number): Set<number> {
    const rows = this.db.prepare('SELECT k.image_id AS id FROM audit_kept k JOIN images i ON i.id = k.image_id WHERE i.dataset_id = ?').all(datasetId) as {
      id: number;
    }[];
    return new Set(rows.map((r) => r.id));
  }
}
