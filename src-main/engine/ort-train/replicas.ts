/**
 * Training replicas: worker threads that each run the training graph on their own ONNX Runtime
 * session, so the micro-batches of one step run side by side. On the 2-core bench machine two
 * replicas of one thread trained 18% faster than one session of two threads (66 against 56 images/s,
 * 2.0x cifar stem; docs/benchmarks.md): most of a step is element-wise work too short to split
 * well over threads, and each replica keeps its own tensors in its own core's cache.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread';
import type { Feeds, ReplicaGraph, ReplicaReply, ReplicaRequest, SharedParam, StepRunner } from './replica-protocol';

/** One worker thread; its requests run one at a time, in the order they were made. */
class Replica {
  private readonly worker: Worker;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: { resolve: (reply: ReplicaReply) => void; reject: (error: Error) => void } | null = null;
  private stopped: Error | null = null;

  constructor(threads: number) {
    this.worker = startWorker(new URL('./replica-worker.js', import.meta.url), { threads });
    this.worker.on('message', (reply: ReplicaReply) => {
      const waiting = this.waiting;
      this.waiting = null;
      if (reply.type === 'error') waiting?.reject(new Error(reply.message));
      else waiting?.resolve(reply);
    });
    const stop = (error: Error) => {
      this.stopped ??= error;
      this.waiting?.reject(this.stopped);
      this.waiting = null;
    };
    this.worker.on('error', stop);
    this.worker.on('exit', (code) => stop(new Error(`training replica stopped (exit code ${code})`)));
  }

  request(request: ReplicaRequest): Promise<ReplicaReply> {
    const next = this.queue.then(
      () =>
        new Promise<ReplicaReply>((resolve, reject) => {
          if (this.stopped) return reject(this.stopped);
          this.waiting = { resolve, reject };
          this.worker.postMessage(request);
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (!this.stopped) await this.request({ type: 'release' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

export class ReplicaPool implements StepRunner {
  private constructor(
    private readonly replicas: Replica[],
    /** Execution provider the sessions use: 'cuda' or 'cpu'. */
    readonly provider: 'cuda' | 'cpu',
  ) {}

  /**
   * Starts `count` replicas that share the machine's cores, opens the fixed-size graph on each,
   * and hands them the weights buffer.
   * @param graphs ONNX bytes of the training graph for the usual micro-batch size (`fixed`) and for any size (`any`)
   * @throws Error when a worker cannot start or ONNX Runtime cannot open the graph
   */
  static async open(
    count: number,
    graphs: Record<ReplicaGraph, Uint8Array>,
    weights: { buffer: SharedArrayBuffer; layout: SharedParam[] },
  ): Promise<ReplicaPool> {
    const threads = Math.max(1, Math.floor(os.availableParallelism() / count));
    const replicas = Array.from({ length: count }, () => new Replica(threads));
    try {
      const opened = await Promise.all(replicas.map((r) => r.request({ type: 'open', graphs })));
      await Promise.all(replicas.map((r) => r.request({ type: 'params', ...weights })));
      const provider = opened[0].type === 'opened' ? opened[0].provider : 'cpu';
      return new ReplicaPool(replicas, provider);
    } catch (error) {
      await Promise.all(replicas.map((r) => r.close()));
      throw error;
    }
  }

  /** Swaps every replica's graphs for `graphs` (the same weights, inputs and layout). */
  async reopen(graphs: Record<ReplicaGraph, Uint8Array>): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.request({ type: 'open', graphs })));
  }

  get size(): number {
    return this.replicas.length;
  }

  /**
   * Runs each job on a replica (job i on replica i mod size; one replica's jobs in turn).
   * @returns every job's outputs by name, in job order
   */
  async run(jobs: { graph: ReplicaGraph; feeds: Feeds; weightsVersion: number }[]): Promise<Record<string, Float32Array>[]> {
    const replies = await Promise.all(jobs.map((job, i) => this.replicas[i % this.replicas.length].request({ type: 'run', ...job })));
    return replies.map((reply) => {
      if (reply.type !== 'outputs') throw new Error(`training replica answered ${reply.type} to a run`);
      return reply.outputs;
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.close()));
  }
}
