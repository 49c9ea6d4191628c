import type { Divergence, TrainEvent } from '../engine/api/light';
import type { Db } from './database';
import { now } from './database';

export type RunStatus = 'queued' | 'running' | 'stopping' | 'stopped' | 'completed' | 'failed' | 'diverged';

export interface RunRow {
  id: number;
  datasetId: number;
  name: string;
  status: RunStatus;
  /** The settings the run was asked for (training.start), never rewritten. */
  config: Record<string, unknown>;
  /** The engine's full config from the run's start event (defaults filled); null until it started. */
  resolvedConfig: Record<string, unknown> | null;
  error: string | null;
  backend: string | null;
  classes: string[];
  /** The classes whose head rows started from the source model's rows of that name; [] for runs from scratch or made before migration 7. */
  knownClasses: string[];
  epochsCompleted: number;
  epochs: number;
  bestValAccuracy: number | null;
  startedAt: string;
  endedAt: string | null;
  durationSec: number;
  /** Folder of the run: checkpoints, logs, and (for folder datasets) the class-folder tree it trains on. */
  runDir: string;
  /** The folder the engine reads as its dataset (the CIFAR root, or the tree under runDir). */
  dataDir: string | null;
  checkpointDir: string | null;
  /** Why a 'diverged' run diverged and the likely remedy; null for every other run. */
  divergence: Divergence | null;
}

/** One epoch's metrics as the engine reports them. */
export type EpochMetricsRow = Omit<Extract<TrainEvent, { type: 'epoch' }>, 'type'>;

interface RawRun {
  id: number;
  dataset_id: number;
  name: string;
  status: RunStatus;
  config_json: string;
  resolved_config_json: string | null;
  error: string | null;
  backend: string | null;
  classes_json: string;
  known_classes_json: string | null;
  epochs_completed: number;
  epochs: number;
  best_val_accuracy: number | null;
  started_at: string;
  ended_at: string | null;
  duration_sec: number;
  run_dir: string;
  data_dir: string | null;
  checkpoint_dir: string | null;
  divergence_json: string | null;
}

const toRun = (r: RawRun): RunRow => ({
  id: r.id,
  datasetId: r.dataset_id,
  name: r.name,
  status: r.status,
  config: JSON.parse(r.config_json) as Record<string, unknown>,
  resolvedConfig: r.resolved_config_json === null ? null : (JSON.parse(r.resolved_config_json) as Record<string, unknown>),
  error: r.error,
  backend: r.backend,
  classes: JSON.parse(r.classes_json) as string[],
  knownClasses: r.known_classes_json === null ? [] : (JSON.parse(r.known_classes_json) as string[]),
  epochsCompleted: r.epochs_completed,
  epochs: r.epochs,
  bestValAccuracy: r.best_val_accuracy,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  durationSec: r.duration_sec,
  runDir: r.run_dir,
  dataDir: r.data_dir,
  checkpointDir: r.checkpoint_dir,
  divergence: r.divergence_json === null ? null : (JSON.parse(r.divergence_json) as Divergence),
});

const COLUMNS: Record<keyof Omit<RunRow, 'id' | 'datasetId' | 'startedAt'>, [string, (v: never) => unknown]> = {
  name: ['name', (v) => v],
  status: ['status', (v) => v],
  config: ['config_json', (v) => JSON.stringify(v)],
  resolvedConfig: ['resolved_config_json', (v) => (v === null ? null : JSON.stringify(v))],
  error: ['error', (v) => v],
  backend: ['backend', (v) => v],
  classes: ['classes_json', (v) => JSON.stringify(v)],
  knownClasses: ['known_classes_json', (v) => JSON.stringify(v)],
  epochsCompleted: ['epochs_completed', (v) => v],
  epochs: ['epochs', (v) => v],
  bestValAccuracy: ['best_val_accuracy', (v) => v],
  endedAt: ['ended_at', (v) => v],
  durationSec: ['duration_sec', (v) => v],
  runDir: ['run_dir', (v) => v],
  dataDir: ['data_dir', (v) => v],
  checkpointDir: ['checkpoint_dir', (v) => v],
  divergence: ['divergence_json', (v) => (v === null ? null : JSON.stringify(v))],
};

export type RunPatch = Partial<Omit<RunRow, 'id' | 'datasetId' | 'startedAt'>>;

export class RunsRepo {
  constructor(private readonly db: Db) {}

  create(input: { datasetId: number; name: string; config: Record<string, unknown>; epochs: number; runDir: string }): RunRow {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO runs (dataset_id, name, status, config_json, epochs, started_at, run_dir)
           VALUES (?, ?, 'queued', ?, ?, ?, ?)`,
        )
        .run(input.datasetId, input.name, JSON.stringify(input.config), input.epochs, now(), input.runDir).lastInsertRowid,
    );
    return this.get(id) as RunRow;
  }

  get(id: number): RunRow | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RawRun | undefined;
    return row && toRun(row);
  }

  list(): RunRow[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RawRun[]).map(toRun);
  }

  /** Runs the last app session left unfinished (the app quit or crashed while they ran). */
  unfinished(): RunRow[] {
    return (this.db.prepare(`SELECT * FROM runs WHERE status IN ('queued', 'running', 'stopping')`).all() as RawRun[]).map(toRun);
  }

  update(id: number, patch: RunPatch): RunRow {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof RunPatch, unknown][];
    if (entries.length > 0) {
      const sets = entries.map(([key]) => `${COLUMNS[key][0]} = ?`).join(', ');
      const values = entries.map(([key, value]) => COLUMNS[key][1](value as never));
      this.db.prepare(`UPDATE runs SET ${sets} WHERE id = ?`).run(...values, id);
    }
    return this.get(id) as RunRow;
  }

  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
  }

  /** Records an epoch and the run's progress together, so the list and the chart never disagree. */
  addEpoch(runId: number, m: EpochMetricsRow, patch: RunPatch): RunRow {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO epoch_metrics
           (run_id, epoch, epochs, train_loss, train_accuracy, val_loss, val_accuracy, val_top5, lr, elapsed_sec, eta_sec)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(runId, m.epoch, m.epochs, m.trainLoss, m.trainAccuracy, m.valLoss, m.valAccuracy, m.valTop5, m.lr, m.elapsedSec, m.etaSec);
      this.update(runId, patch);
    })();
    return this.get(runId) as RunRow;
  }

  epochs(runId: number): EpochMetricsRow[] {
    return this.db
      .prepare(
        `SELECT epoch, epochs, train_loss AS trainLoss, train_accuracy AS trainAccuracy, val_loss AS valLoss,
                val_accuracy AS valAccuracy, val_top5 AS valTop5, lr, elapsed_sec AS elapsedSec, eta_sec AS etaSec
         FROM epoch_metrics WHERE run_id = ? ORDER BY epoch`,
      )
      .all(runId) as EpochMetricsRow[];
  }
}
