/** Messages between the trainer (replicas.ts) and a training replica (replica-worker.ts). */
import type { OnnxDevice } from '../onnx/onnx-runtime';

/** Which training graph: `fixed` for the usual micro-batch size, `any` for the others. */
export type ReplicaGraph = 'fixed' | 'any';

/** Where one weight sits in the shared weights buffer, in float32 elements. */
export interface SharedParam {
  name: string;
  offset: number;
  length: number;
  shape: number[];
}

export type Feeds = Record<string, { data: Float32Array; dims: readonly number[] }>;

export type ReplicaRequest =
  /** ONNX bytes of both graphs: `fixed` opens now, `any` when first run; a second 'open' replaces both. */
  | { type: 'open'; graphs: Record<ReplicaGraph, Uint8Array> }
  | { type: 'params'; buffer: SharedArrayBuffer; layout: SharedParam[] }
  /**
   * The graph's inputs other than the weights, which come from the shared buffer; the replica
   * copies that buffer again when `weightsVersion` changed since its last run.
   */
  | { type: 'run'; graph: ReplicaGraph; feeds: Feeds; weightsVersion: number }
  | { type: 'release' };

export type ReplicaReply =
  | { type: 'opened'; provider: 'cuda' | 'cpu' }
  | { type: 'outputs'; outputs: Record<string, Float32Array> }
  | { type: 'done' }
  | { type: 'error'; message: string };

/** What runs a step's micro-batches: the CPU replicas (replicas.ts) or one GPU session (device-session.ts). */
export interface StepRunner {
  /** Execution provider the sessions use. */
  readonly provider: OnnxDevice;
  /** How many sessions run side by side. */
  readonly size: number;
  /** Swaps the graphs (the same weights, inputs and layout). */
  reopen(graphs: Record<ReplicaGraph, Uint8Array>): Promise<void>;
  /** @returns every job's outputs by name, in job order */
  run(jobs: { graph: ReplicaGraph; feeds: Feeds; weightsVersion: number }[]): Promise<Record<string, Float32Array>[]>;
  close(): Promise<void>;
}
