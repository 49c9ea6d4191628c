/**
 * The last few checkpoints loaded for explanations, kept in memory: the GUI asks for many images of
 * one run in a row, and loading a checkpoint (read, checksum, rebuild) costs far more than one
 * explanation. Entries are keyed by checkpoint folder and the manifest's modification time, so a
 * run that writes a newer checkpoint, or rewrites one in place, is loaded afresh.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, resolveCheckpointDir } from '../checkpoint/checkpoint';
import type { CheckpointManifest } from '../types';

/** Checkpoints kept at once: the one being browsed and the one compared with it. */
export const CACHE_CAPACITY = 2;

export interface LoadedCheckpoint {
  model: tf.LayersModel;
  manifest: CheckpointManifest;
  dir: string;
}

interface Entry {
  dir: string;
  manifestTime: number;
  loading: Promise<LoadedCheckpoint>;
  /** Set once loaded, so a release then disposes at once rather than a tick later. */
  loaded?: LoadedCheckpoint;
  /** Calls using the model now; an evicted entry is disposed when the last one ends. */
  users: number;
  evicted: boolean;
}

/** Least recently used first (a Map keeps insertion order; a use re-inserts). */
const entries = new Map<string, Entry>();
let loads = 0;

function release(entry: Entry): void {
  if (entry.loaded) entry.loaded.model.dispose();
  else
    entry.loading.then(
      (loaded) => loaded.model.dispose(),
      () => undefined,
    );
}

function evict(entry: Entry): void {
  if (entries.get(entry.dir) === entry) entries.delete(entry.dir);
  entry.evicted = true;
  if (entry.users === 0) release(entry);
}

async function manifestTime(dir: string): Promise<number> {
  return (await stat(path.join(dir, 'manifest.json')).catch(() => null))?.mtimeMs ?? 0;
}

/**
 * Runs `use` with the model of the newest checkpoint of `run` (or the checkpoint folder `run`
 * names), loading it only when it is not cached. The model stays valid until `use` settles, even
 * if another call evicts it meanwhile; `use` must not dispose it.
 * @throws UserError for a wrong run path or a broken checkpoint (nothing is cached then)
 */
export async function withCheckpointModel<T>(run: string, use: (loaded: LoadedCheckpoint) => Promise<T>): Promise<T> {
  const dir = await resolveCheckpointDir(run);
  const time = await manifestTime(dir);
  let entry = entries.get(dir);
  if (entry && entry.manifestTime !== time) {
    evict(entry);
    entry = undefined;
  }
  if (!entry) {
    loads += 1;
    const loading = loadCheckpoint(dir);
    const fresh: Entry = { dir, manifestTime: time, loading, users: 0, evicted: false };
    loading.then(
      (loaded) => (fresh.loaded = loaded),
      () => {
        if (entries.get(dir) === fresh) entries.delete(dir);
      },
    );
    entry = fresh;
  }
  entries.delete(dir);
  entries.set(dir, entry);
  for (const old of entries.values()) {
    if (entries.size <= CACHE_CAPACITY) break;
    evict(old);
  }
  entry.users += 1;
  try {
    return await use(await entry.loading);
  } finally {
    entry.users -= 1;
    if (entry.evicted && entry.users === 0) release(entry);
  }
}

/** Disposes every cached model (models in use are disposed when their calls end). */
export function clearCheckpointModelCache(): void {
  for (const entry of [...entries.values()]) evict(entry);
}

/** What the cache holds (checkpoint folders, least recently used first) and how many loads it has made. */
export function checkpointModelCacheStats(): { dirs: string[]; loads: number } {
  return { dirs: [...entries.keys()], loads };
}
