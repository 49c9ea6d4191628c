import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Numbered, append-only. A released migration is never edited: a change is a new entry.
 * AUTOINCREMENT keeps ids from being reused after a delete, because media URLs and thumbnail
 * caches are keyed by id.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('cifar10', 'folder')),
        root TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE classes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        UNIQUE (dataset_id, name),
        UNIQUE (dataset_id, position)
      );
      CREATE TABLE images (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        -- the engine's sample id: "<split>:<index>" for CIFAR-10, the path relative to the root for folders
        sample_key TEXT NOT NULL,
        path TEXT NOT NULL,
        record_index INTEGER,
        class_id INTEGER REFERENCES classes(id) ON DELETE SET NULL,
        split TEXT,
        skipped_reason TEXT,
        UNIQUE (dataset_id, sample_key)
      );
      CREATE INDEX images_by_class ON images (dataset_id, class_id, id);
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        config_json TEXT NOT NULL,
        error TEXT,
        backend TEXT,
        classes_json TEXT NOT NULL DEFAULT '[]',
        epochs_completed INTEGER NOT NULL DEFAULT 0,
        epochs INTEGER NOT NULL DEFAULT 0,
        best_val_accuracy REAL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        duration_sec REAL NOT NULL DEFAULT 0,
        run_dir TEXT NOT NULL,
        data_dir TEXT,
        checkpoint_dir TEXT
      );
      CREATE TABLE epoch_metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        epochs INTEGER NOT NULL,
        train_loss REAL NOT NULL,
        train_accuracy REAL NOT NULL,
        val_loss REAL NOT NULL,
        val_accuracy REAL NOT NULL,
        val_top5 REAL NOT NULL,
        lr REAL NOT NULL,
        elapsed_sec REAL NOT NULL,
        eta_sec REAL NOT NULL,
        PRIMARY KEY (run_id, epoch)
      );
      CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        split TEXT NOT NULL,
        top1 REAL NOT NULL,
        top5 REAL NOT NULL,
        loss REAL NOT NULL,
        count INTEGER NOT NULL,
        classes_json TEXT NOT NULL,
        confusion_json TEXT NOT NULL,
        per_class_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE evaluation_samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
        sample_key TEXT NOT NULL,
        image_id INTEGER REFERENCES images(id) ON DELETE SET NULL,
        path TEXT NOT NULL,
        record_index INTEGER,
        true_class INTEGER NOT NULL,
        predicted_class INTEGER NOT NULL,
        probability REAL NOT NULL
      );
      CREATE INDEX evaluation_samples_by_cell ON evaluation_samples (evaluation_id, true_class, predicted_class, id);
      CREATE TABLE prediction_jobs (
        id TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        folder TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
        total INTEGER,
        predicted INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE TABLE prediction_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES prediction_jobs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        top_json TEXT,
        skipped_reason TEXT
      );
      CREATE INDEX prediction_items_by_job ON prediction_items (job_id, id);
    `,
  },
  {
    version: 2,
    name: 'evaluations name their checkpoint',
    // Which checkpoint an evaluation measured: the run's best epoch or its newest checkpoint
    // (NULL for evaluations made before this was recorded, which all used the newest).
    sql: `
      ALTER TABLE evaluations ADD COLUMN checkpoint_kind TEXT CHECK (checkpoint_kind IN ('best', 'last'));
      ALTER TABLE evaluations ADD COLUMN checkpoint_epoch INTEGER;
    `,
  },
  {
    version: 3,
    name: 'runs say how they diverged',
    // JSON of engine/types Divergence for runs with status 'diverged' (status is free text, so the
    // new status itself needs no change here).
    sql: `ALTER TABLE runs ADD COLUMN divergence_json TEXT;`,
  },
  {
    version: 4,
    name: 'labeling that learns: suggestions, audits, when labels changed, images left out of training',
    sql: `
      ALTER TABLE images ADD COLUMN labeled_at TEXT;
      ALTER TABLE images ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0;
      -- One suggestion an image: the newest model's guess. A class removed takes its suggestions with it.
      CREATE TABLE suggestions (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        confidence REAL NOT NULL,
        margin REAL NOT NULL
      );
      CREATE INDEX suggestions_by_margin ON suggestions (dataset_id, margin);
      CREATE TABLE suggestion_sets (
        dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        computed_at TEXT NOT NULL
      );
      CREATE TABLE audits (
        dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        report_json TEXT NOT NULL
      );
      CREATE TABLE audit_kept (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 5,
    name: 'accepts that can be undone outlive the session',
    sql: `
      CREATE TABLE accept_records (
        id TEXT PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        record_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'evaluations and predictions name their test-time augmentation',
    // engine/runtime/tta.ts: 'flip' averages each image's prediction with its mirror's ('flip-shift'
    // with shifted copies too). Rows made
    // before this ran without it, hence the default.
    sql: `
      ALTER TABLE evaluations ADD COLUMN tta TEXT NOT NULL DEFAULT 'none' CHECK (tta IN ('none', 'flip', 'flip-shift'));
      ALTER TABLE prediction_jobs ADD COLUMN tta TEXT NOT NULL DEFAULT 'none' CHECK (tta IN ('none', 'flip', 'flip-shift'));
    `,
  },
  {
    version: 7,
    name: 'runs name the classes whose head rows started from the source model',
    // A JSON array of class names (engine/model/copy-weights.ts CopyReport.knownClasses); NULL for
    // runs made before this, which the app shows as none.
    sql: `
      ALTER TABLE runs ADD COLUMN known_classes_json TEXT;
    `,
  },
  {
    version: 8,
    name: 'runs keep the config they asked for beside the one the engine resolved',
    // config_json stays what was asked for; the engine's full config (defaults filled, a source
    // model's architecture) goes beside it at the run's start. Before this the start overwrote
    // config_json with it, so a run that has started (it names its backend) has only that one.
    sql: `
      ALTER TABLE runs ADD COLUMN resolved_config_json TEXT;
      UPDATE runs SET resolved_config_json = config_json WHERE backend IS NOT NULL;
    `,
  },
];

/** Brings the database to the newest version, one transaction per migration. Returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > newest) {
    throw new Error(`The database is version ${current}, newer than this app understands (${newest}); update the app`);
  }
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied.push(migration.version);
  }
  return applied;
}
