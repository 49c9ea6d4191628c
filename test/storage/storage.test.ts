import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, Storage } from '../../src-main/storage';

let dir: string;
let storage: Storage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-storage-'));
  storage = Storage.open(join(dir, 'studio.db'));
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function addPets() {
  return storage.datasets.create({
    name: 'pets',
    kind: 'folder',
    root: '/pets',
    classes: ['cat', 'dog'],
    images: [
      { sampleKey: 'cat/a.png', path: '/pets/cat/a.png', classPosition: 0 },
      { sampleKey: 'dog/b.png', path: '/pets/dog/b.png', classPosition: 1 },
      { sampleKey: 'c.png', path: '/pets/c.png', classPosition: null },
      { sampleKey: 'dog/bad.png', path: '/pets/dog/bad.png', classPosition: 1, skippedReason: 'not an image' },
    ],
  });
}

describe('migrations', () => {
  it('build the schema from an empty file and record the version', () => {
    const db = new Database(join(dir, 'fresh.db'));
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'datasets',
        'classes',
        'images',
        'runs',
        'epoch_metrics',
        'evaluations',
        'evaluation_samples',
        'prediction_jobs',
        'prediction_items',
        'migrations',
      ]),
    );
    expect(migrate(db)).toEqual([]);
    db.close();
  });

  it('apply only newer migrations, and roll back a failing one', () => {
    const db = new Database(join(dir, 'steps.db'));
    const steps = [
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'b', sql: 'CREATE TABLE b (x INTEGER); CREATE TABLE nope (' },
    ];
    expect(() => migrate(db, steps)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'b'`).get()).toBeUndefined();
    expect(migrate(db, [steps[0], { version: 2, name: 'b', sql: 'CREATE TABLE b (x INTEGER)' }])).toEqual([2]);
    db.close();
  });

  it('refuse a database from a newer app', () => {
    const db = new Database(join(dir, 'future.db'));
    db.pragma('user_version = 99');
    expect(() => migrate(db)).toThrow(/newer than this app/);
    db.close();
  });

  it("8 keeps a started run's config as its resolved one, and a queued run's as only requested", () => {
    const db = new Database(join(dir, 'v7.db'));
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 7),
    );
    db.prepare(`INSERT INTO datasets (id, name, kind, root, created_at) VALUES (1, 'pets', 'folder', '/pets', '2026-12-01T00:00:00Z')`).run();
    const insert = db.prepare(
      `INSERT INTO runs (dataset_id, name, status, config_json, epochs, started_at, run_dir, backend) VALUES (1, ?, ?, ?, 1, '2026-12-01T00:00:00Z', ?, ?)`,
    );
    // Before migration 8 the start event overwrote config_json with the engine's config.
    insert.run('started', 'completed', JSON.stringify({ scale: 1, epochs: 1, seed: 0 }), '/r1', 'onnxruntime-node 1.30.0 (cpu)');
    insert.run('waiting', 'queued', JSON.stringify({ epochs: 1 }), '/r2', null);
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version > 7).map((m) => m.version));
    db.close();
    storage.close();
    storage = Storage.open(join(dir, 'v7.db'));
    const [waiting, started] = storage.runs.list();
    expect(started).toMatchObject({ name: 'started', config: { scale: 1, epochs: 1, seed: 0 }, resolvedConfig: { scale: 1, epochs: 1, seed: 0 } });
    expect(waiting).toMatchObject({ name: 'waiting', config: { epochs: 1 }, resolvedConfig: null });
  });

  it('turn on WAL and foreign keys', () => {
    expect(storage.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(storage.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});

describe('repositories', () => {
  it('count classes, unlabeled and skipped images', () => {
    const id = addPets();
    expect(storage.datasets.classes(id).map((c) => [c.name, c.count])).toEqual([
      ['cat', 1],
      ['dog', 1],
    ]);
    expect(storage.datasets.counts(id)).toEqual({ imageCount: 3, unlabeledCount: 1, splits: {} });
    expect(storage.datasets.skipped(id)).toEqual([{ path: '/pets/dog/bad.png', reason: 'not an image' }]);
    expect(storage.images.list(id, { classId: null }, 0, 10).rows.map((r) => r.sampleKey)).toEqual(['c.png']);
  });

  it('roll back a dataset insert that fails half way', () => {
    expect(() =>
      storage.datasets.create({
        name: 'broken',
        kind: 'folder',
        root: '/x',
        classes: ['a'],
        images: [
          { sampleKey: 'a/1.png', path: '/x/a/1.png', classPosition: 0 },
          { sampleKey: 'a/2.png', path: '/x/a/2.png', classPosition: 5 },
        ],
      }),
    ).toThrow(RangeError);
    expect(storage.datasets.list()).toEqual([]);
    expect(storage.db.prepare('SELECT COUNT(*) AS n FROM images').get()).toEqual({ n: 0 });
  });

  it('assign labels only inside the dataset and never to skipped files', () => {
    const id = addPets();
    const other = storage.datasets.create({ name: 'other', kind: 'folder', root: '/o', classes: ['x'], images: [] });
    const [cat] = storage.datasets.classes(id);
    const all = storage.db.prepare('SELECT id, sample_key AS k FROM images WHERE dataset_id = ?').all(id) as { id: number; k: string }[];
    const byKey = Object.fromEntries(all.map((r) => [r.k, r.id]));
    expect(storage.images.assign([byKey['c.png'], byKey['dog/bad.png']], cat.id, id)).toBe(1);
    expect(storage.images.assign([byKey['c.png']], cat.id, other)).toBe(0);
    expect(storage.images.get(byKey['c.png'])?.classId).toBe(cat.id);
    expect(storage.images.labeled(id).map((r) => [r.sampleKey, r.className])).toEqual([
      ['cat/a.png', 'cat'],
      ['c.png', 'cat'],
      ['dog/b.png', 'dog'],
    ]);
  });

  it("keep a run's requested config as asked, with the resolved one beside it", () => {
    const id = addPets();
    const run = storage.runs.create({ datasetId: id, name: 'r', config: { epochs: 1, init: 'pretrained' }, epochs: 1, runDir: '/r' });
    expect(run).toMatchObject({ config: { epochs: 1, init: 'pretrained' }, resolvedConfig: null });
    storage.runs.update(run.id, { status: 'running', resolvedConfig: { epochs: 1, init: 'pretrained', scale: 1, seed: 0 } });
    storage.runs.update(run.id, { status: 'completed' });
    expect(storage.runs.get(run.id)).toMatchObject({
      config: { epochs: 1, init: 'pretrained' },
      resolvedConfig: { epochs: 1, init: 'pretrained', scale: 1, seed: 0 },
    });
  });

  it('append classes at the end and cascade deletes', () => {
    const id = addPets();
    expect(storage.images.createClass(id, 'bird').position).toBe(2);
    expect(() => storage.images.createClass(id, 'bird')).toThrow(/UNIQUE/);
    const run = storage.runs.create({ datasetId: id, name: 'r', config: { epochs: 1 }, epochs: 1, runDir: '/r' });
    storage.runs.addEpoch(
      run.id,
      { epoch: 1, epochs: 1, trainLoss: 2, trainAccuracy: 0.1, valLoss: 2, valAccuracy: 0.2, valTop5: 1, lr: 0.1, elapsedSec: 3, etaSec: 0 },
      { epochsCompleted: 1, bestValAccuracy: 0.2 },
    );
    expect(storage.runs.get(run.id)).toMatchObject({ epochsCompleted: 1, bestValAccuracy: 0.2, config: { epochs: 1 } });
    storage.datasets.remove(id);
    expect(storage.runs.get(run.id)).toBeUndefined();
    expect(storage.db.prepare('SELECT COUNT(*) AS n FROM epoch_metrics').get()).toEqual({ n: 0 });
    expect(storage.db.prepare('SELECT COUNT(*) AS n FROM images').get()).toEqual({ n: 0 });
  });

  it('keep prediction counters in step with items', () => {
    const id = addPets();
    const run = storage.runs.create({ datasetId: id, name: 'r', config: {}, epochs: 1, runDir: '/r' });
    storage.predictions.createJob('job1', run.id, '/in');
    storage.predictions.addItem('job1', '/in/a.png', [{ label: 'cat', probability: 0.9 }], null);
    storage.predictions.addItem('job1', '/in/b.png', null, 'truncated');
    expect(storage.predictions.getJob('job1')).toMatchObject({ predicted: 1, skipped: 1, status: 'running' });
    expect(storage.predictions.items('job1').map((i) => i.top?.[0]?.label ?? i.skippedReason)).toEqual(['cat', 'truncated']);
  });
});
