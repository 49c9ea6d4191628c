/**
 * Checkpoint folders of a run:
 *
 *   <run>/checkpoints/epoch-0003/              after 3 complete epochs
 *   <run>/checkpoints/epoch-0003-step-000012/  stopped 12 steps into epoch 4
 *
 * each holding `model.json` + `weights.bin` (tfjs layers format, batch-norm moving statistics
 * included), `manifest.json` (CheckpointManifest), `optimizer.json` + `optimizer.bin` (momentum
 * buffers and step counter) and `train-state.json` (where in the schedule the run stands). The
 * manifest records a SHA-256 of every other file, checked on every read (checkpoint-integrity.ts).
 * A folder is written under a temporary name, its files and entries flushed to the disk (fsync),
 * then renamed into place, so neither a crash nor a power loss leaves half a checkpoint under a
 * real name.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { syncFolder, writeFileDurable } from '../durable-file';
import { UserError } from '../errors';
import { loadModelFromDir, serializeModel } from '../model/file-io';
import type { CheckpointManifest } from '../types';
import { CHECKPOINTS_DIR, checkpointName } from './best-checkpoint';
import { checkpointWriteError, checksumsOf, verifyChecksums } from './checkpoint-integrity';
import type { SgdState, SgdStateHeader } from '../step/sgd';

export { CHECKPOINTS_DIR, checkpointName };
const MANIFEST = 'manifest.json';
const OPTIMIZER_JSON = 'optimizer.json';
const OPTIMIZER_BIN = 'optimizer.bin';
const TRAIN_STATE = 'train-state.json';
const NAME_PATTERN = /^epoch-(\d{4,})(?:-step-(\d{6,}))?$/;

/** Where a run stands, beyond the weights and the optimizer. */
export interface TrainState {
  formatVersion: 1;
  epochsCompleted: number;
  /** Steps already taken in epoch `epochsCompleted + 1`; 0 at an epoch boundary. */
  stepInEpoch: number;
  stepsPerEpoch: number;
  trainCount: number;
  /** Sums over the steps of the unfinished epoch, so its reported train loss/accuracy stay exact. */
  partialLossSum: number;
  partialCorrect: number;
  partialSeen: number;
  bestValAccuracy: number;
  /** Training time spent so far, across earlier sessions of this run. */
  elapsedSec: number;
}

function parseName(name: string): { epoch: number; step: number } | null {
  const m = NAME_PATTERN.exec(name);
  return m ? { epoch: Number(m[1]), step: m[2] ? Number(m[2]) : 0 } : null;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

/** Complete checkpoint folders of a run, oldest first. */
async function listCheckpoints(runDir: string): Promise<{ name: string; dir: string; epoch: number; step: number }[]> {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const found = [];
  for (const name of names) {
    const parsed = parseName(name);
    const dir = path.join(root, name);
    if (parsed && (await exists(path.join(dir, MANIFEST)))) found.push({ name, dir, ...parsed });
  }
  return found.sort((a, b) => a.epoch - b.epoch || a.step - b.step);
}

/**
 * The newest checkpoint folder of a run (the most epochs and steps), or null when the run folder
 * is missing or holds none.
 */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  const all = await listCheckpoints(path.resolve(runDir));
  return all.at(-1)?.dir ?? null;
}

type CheckpointParts = { model: tf.LayersModel; manifest: CheckpointManifest; optimizer: SgdState; state: TrainState };

/** Every file of a checkpoint folder, by name, with the manifest (holding the others' checksums) last. */
async function checkpointFiles(parts: CheckpointParts): Promise<Map<string, Uint8Array>> {
  const text = new TextEncoder();
  const v = parts.optimizer.velocities;
  const files = await serializeModel(parts.model);
  files.set(OPTIMIZER_BIN, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  files.set(OPTIMIZER_JSON, text.encode(JSON.stringify(parts.optimizer.header)));
  files.set(TRAIN_STATE, text.encode(JSON.stringify(parts.state, null, 2)));
  const manifest: CheckpointManifest = { ...parts.manifest, sha256: checksumsOf(files) };
  files.set(MANIFEST, text.encode(JSON.stringify(manifest, null, 2)));
  return files;
}

/**
 * Writes one checkpoint atomically and durably and returns its folder. An existing folder of the
 * same name (a run stopped twice at the same step) is replaced.
 * @throws UserError when the disk is full, saying where, how much the checkpoint needs and which
 *   earlier checkpoint is intact (a failed write leaves the run's checkpoints as they were)
 */
export async function writeCheckpoint(runDir: string, parts: CheckpointParts): Promise<string> {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  const name = checkpointName(parts.state.epochsCompleted, parts.state.stepInEpoch);
  const finalDir = path.join(root, name);
  const tmpDir = path.join(root, `.tmp-${name}-${process.pid}-${Date.now()}`);
  const files = await checkpointFiles(parts);
  try {
    await fs.mkdir(tmpDir, { recursive: true });
    for (const [file, bytes] of files) await writeFileDurable(path.join(tmpDir, file), bytes);
    await syncFolder(tmpDir);
    if (await exists(finalDir)) {
      const old = path.join(root, `.old-${name}-${process.pid}-${Date.now()}`);
      await fs.rename(finalDir, old);
      await fs.rename(tmpDir, finalDir);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmpDir, finalDir);
    }
    await syncFolder(root);
    await syncFolder(runDir); // holds the entry of checkpoints/ itself, new with the first checkpoint
  } catch (error) {
    await fs.rm(tmpDir, { recursive: true, force: true });
    const bytes = [...files.values()].reduce((sum, b) => sum + b.byteLength, 0);
    throw await checkpointWriteError(error, { folder: root, name, bytes, previous: await latestCheckpoint(runDir) });
  }
  return finalDir;
}

/**
 * Keeps the newest `keep` end-of-epoch checkpoints and the one of `bestEpoch` (evaluation and the
 * run list speak of the best epoch), and drops mid-epoch ones older than the newest checkpoint,
 * plus leftovers of interrupted writes.
 */
export async function pruneCheckpoints(runDir: string, keep: number, bestEpoch: number | null = null): Promise<void> {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  const all = await listCheckpoints(runDir);
  const newest = all.at(-1);
  const full = all.filter((c) => c.step === 0);
  const keepNames = new Set(full.slice(-Math.max(1, keep)).map((c) => c.name));
  if (newest) keepNames.add(newest.name);
  if (bestEpoch !== null && bestEpoch > 0) keepNames.add(checkpointName(bestEpoch, 0));
  for (const c of all) {
    if (!keepNames.has(c.name)) await fs.rm(c.dir, { recursive: true, force: true });
  }
  const names = await fs.readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith('.tmp-') || name.startsWith('.old-')) await fs.rm(path.join(root, name), { recursive: true, force: true });
  }
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (error) {
    const what = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not valid JSON';
    throw new UserError(`Checkpoint file ${file} ${what}`, 'checkpoint-corrupt');
  }
}

/** The checkpoint folder `pathOrRunDir` names: itself when it holds a manifest, else its run's latest. */
export async function resolveCheckpointDir(pathOrRunDir: string): Promise<string> {
  const target = path.resolve(pathOrRunDir);
  const info = await fs.stat(target).catch(() => null);
  if (!info?.isDirectory()) {
    throw new UserError(
      `${target} does not exist or is not a folder: expected a run folder (with checkpoints/) or a checkpoint folder (with manifest.json)`,
      'checkpoint-not-found',
    );
  }
  if (await exists(path.join(target, MANIFEST))) return target;
  const latest = await latestCheckpoint(target);
  if (latest) return latest;
  throw new UserError(
    `${target} holds no checkpoint: expected a run folder with checkpoints/epoch-NNNN/manifest.json, or a checkpoint folder with manifest.json`,
    'checkpoint-not-found',
  );
}

/**
 * Reads and sanity-checks `manifest.json` of a checkpoint folder, and checks the SHA-256 it
 * records of each of the folder's files (older checkpoints without checksums pass unchecked).
 */
export async function readManifest(dir: string): Promise<CheckpointManifest> {
  const file = path.join(dir, MANIFEST);
  const manifest = await readJson<CheckpointManifest>(file);
  if (manifest.formatVersion !== 1 || !Array.isArray(manifest.classes) || !manifest.model || !manifest.preprocessing) {
    throw new UserError(`${file} is not a ShuffleNet Studio checkpoint manifest (formatVersion 1 with classes, model and preprocessing)`, 'checkpoint-corrupt');
  }
  await verifyChecksums(dir, manifest);
  return manifest;
}

/**
 * Loads a trained model for evaluation or prediction.
 * @param pathOrRunDir a run folder (its newest checkpoint is used) or one checkpoint folder
 * @returns the model (input `[batch, inputSize, inputSize, 3]`, output logits `[batch, classes]`),
 *   its manifest and the checkpoint folder used. The caller disposes the model.
 * @throws UserError when the path is neither, or the checkpoint's files are missing or broken.
 */
export async function loadCheckpoint(pathOrRunDir: string): Promise<{ model: tf.LayersModel; manifest: CheckpointManifest; dir: string }> {
  const dir = await resolveCheckpointDir(pathOrRunDir);
  const manifest = await readManifest(dir);
  const model = await loadModelFromDir(dir);
  return { model, manifest, dir };
}

/** Optimizer state and schedule position saved beside a checkpoint's model, for resuming. */
export async function readTrainingState(dir: string): Promise<{ optimizer: SgdState; state: TrainState }> {
  const header = await readJson<SgdStateHeader>(path.join(dir, OPTIMIZER_JSON));
  const state = await readJson<TrainState>(path.join(dir, TRAIN_STATE));
  const binFile = path.join(dir, OPTIMIZER_BIN);
  const bytes = await fs.readFile(binFile).catch(() => {
    throw new UserError(`Checkpoint file ${binFile} is missing`, 'checkpoint-corrupt');
  });
  if (bytes.byteLength % 4 !== 0) throw new UserError(`${binFile} is truncated (${bytes.byteLength} bytes)`, 'checkpoint-corrupt');
  const velocities = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { optimizer: { header, velocities }, state };
}
