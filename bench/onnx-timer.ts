/**
 * Model-only ONNX Runtime inference of the app's ONNX export of a ShuffleNet (what evaluation and
 * prediction run on where onnxruntime-node loads) against ONNX Runtime on PyTorch's own export of
 * the same architecture (the inference reference, `pytorch_shufflenet.py export`).
 *
 * Both files go through one timing function: the app's session options, the same input tensor,
 * the same batch, threads and iterations, in alternating rounds so that load from other processes
 * falls on both sides alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { defaultPreprocessing } from '../src-main/engine/data/preprocess';
import { onnxModelFromLayersModel } from '../src-main/engine/export/onnx';
import { createOnnxSession, nchwcBlockSize, onnxRuntimeStatus, runOnnx, type OnnxDevice, type OnnxSession } from '../src-main/engine/onnx/onnx-runtime';
import type { ModelConfig, Stem } from '../src-main/engine/types';

export const PYTHON = '/usr/bin/python3';

export interface OnnxTimingOptions {
  batch: number;
  inputSize: number;
  /** Timed runs per round. */
  iters: number;
  /** Rounds; each round times every model once, the order rotating from round to round. */
  rounds: number;
  /** Intra-op threads (0: ONNX Runtime's choice, one per physical core). */
  threads: number;
  /** The execution provider (default: the CPU). */
  device?: OnnxDevice;
}

export interface OnnxTiming {
  /** Median over the rounds, images/s. */
  imagesPerSec: number;
  /** Each round's images/s, in order. */
  rounds: number[];
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Times several ONNX models (file paths or bytes) identically: one session each with the app's
 * options (createOnnxSession), one shared NCHW input `[batch, 3, inputSize, inputSize]`, one
 * warm-up run each, then alternating rounds of `iters` runs.
 * @returns one timing per model, in the order given; null when onnxruntime-node does not load
 */
export async function timeOnnxModels(models: (string | Uint8Array)[], options: OnnxTimingOptions): Promise<OnnxTiming[] | null> {
  if (!onnxRuntimeStatus().available) return null;
  const { batch, inputSize: s, iters, rounds, threads } = options;
  const dims = [batch, 3, s, s];
  const input = Float32Array.from({ length: batch * 3 * s * s }, (_, i) => ((i * 7919) % 255) / 64 - 2);
  const sessions: OnnxSession[] = [];
  try {
    for (const m of models) sessions.push(await createOnnxSession(m, { threads, device: options.device ?? 'cpu' }));
    for (const session of sessions) await runOnnx(session, input, dims);
    const perRound: number[][] = models.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < sessions.length; k++) {
        const which = (k + r) % sessions.length;
        const t0 = performance.now();
        for (let i = 0; i < iters; i++) await runOnnx(sessions[which], input, dims);
        perRound[which].push((batch * iters) / ((performance.now() - t0) / 1000));
      }
    }
    return perRound.map((values) => ({ imagesPerSec: median(values), rounds: values }));
  } finally {
    for (const session of sessions) await session.release();
  }
}

/**
 * The app's ONNX export of a ShuffleNet built with `config` (random weights are fine for speed):
 * by default as evaluation and prediction open it (tuned for this CPU's NCHWc block), with
 * `portable` as the exported file holds it.
 */
export function engineOnnxBytes(model: tf.LayersModel, config: ModelConfig, portable = false): Uint8Array {
  const info = {
    model: config,
    preprocessing: defaultPreprocessing({ format: 'image-folder', inputSize: config.inputSize }),
    classes: Array.from({ length: config.numClasses }, (_, i) => `class${i}`),
    epoch: 0,
  };
  return onnxModelFromLayersModel(model, info, { nchwcBlock: portable ? 1 : nchwcBlockSize() });
}

/**
 * Writes PyTorch's ONNX export of ShuffleNetV1 (2.0x unless `scale` says otherwise), groups 3,
 * 10 classes into `dir` with the reference script
 * (`pytorch_shufflenet.py export FILE --stem STEM --size SIZE --scale SCALE`).
 * @returns the file, or why it could not be made (no script, no python3, no torch)
 */
export function exportPytorchOnnx(sharedBench: string, stem: Stem, size: number, dir: string, scale = 2): { file: string } | { skipped: string } {
  const script = path.join(sharedBench, 'pytorch_shufflenet.py');
  if (!existsSync(script)) return { skipped: `${script} not found` };
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const file = path.join(dir, `pytorch-${stem}-${size}-${scale}x.onnx`);
  const args = [script, 'export', file, '--stem', stem, '--size', String(size), '--scale', String(scale)];
  const result = spawnSync(PYTHON, args, { encoding: 'utf8' });
  if (result.status !== 0 || !existsSync(file)) {
    const last = (result.stderr || result.error?.message || '').trim().split('\n').pop() ?? '';
    const missingTorch = /No module named '?torch/.test(last);
    return { skipped: missingTorch ? 'python3-torch is not installed (apt-get install python3-torch)' : `export failed: ${last}` };
  }
  return { file };
}

/** A temporary folder for the reference exports, removed by the returned function. */
export async function tempExportDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shufflenet-bench-onnx-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
