/**
 * Training on one GPU (ONNX Runtime's WebGPU or CUDA provider): ONE session in this thread runs
 * every micro-batch in turn, in place of the CPU replicas (replicas.ts). One session and one run
 * at a time, because concurrent Run() calls on one WebGPU device crash on Linux/Vulkan
 * (microsoft/onnxruntime#32561); a GPU has its own parallelism inside each run.
 */
import { createOnnxSession, runOnnxNamed, type OnnxSession } from '../onnx/onnx-runtime';
import type { Feeds, ReplicaGraph, SharedParam, StepRunner } from './replica-protocol';
import type { GpuDevice } from '../../contract/devices';

export class DeviceSession implements StepRunner {
  readonly size = 1;
  private sessions = new Map<ReplicaGraph, OnnxSession>();
  /** Runs queue here, so two never overlap on the device, whoever calls. */
  private queue: Promise<unknown> = Promise.resolve();
  /** ONNX Runtime refuses inputs in shared memory: the weights are copied here once per weights version. */
  private readonly own: Float32Array;
  private version = -1;

  private constructor(
    readonly provider: GpuDevice,
    private graphs: Record<ReplicaGraph, Uint8Array>,
    private readonly weights: { shared: Float32Array; layout: SharedParam[] },
  ) {
    this.own = new Float32Array(weights.shared.length);
  }

  /**
   * Opens the fixed-size graph on `device` (the any-size one when first run, as a replica does).
   * @throws Error when the device's provider cannot open the graph (no fallback to the CPU)
   */
  static async open(
    device: GpuDevice,
    graphs: Record<ReplicaGraph, Uint8Array>,
    weights: { buffer: SharedArrayBuffer; layout: SharedParam[] },
  ): Promise<DeviceSession> {
    const runner = new DeviceSession(device, graphs, { shared: new Float32Array(weights.buffer), layout: weights.layout });
    await runner.reopen(graphs);
    return runner;
  }

  async reopen(graphs: Record<ReplicaGraph, Uint8Array>): Promise<void> {
    await this.serial(async () => {
      await this.releaseAll();
      this.graphs = graphs;
      this.sessions.set('fixed', await createOnnxSession(graphs.fixed, { device: this.provider }));
    });
  }

  /** Runs the jobs one after another on the one session. @returns each job's outputs, in job order */
  run(jobs: { graph: ReplicaGraph; feeds: Feeds; weightsVersion: number }[]): Promise<Record<string, Float32Array>[]> {
    return this.serial(async () => {
      const outputs: Record<string, Float32Array>[] = [];
      for (const job of jobs) {
        if (job.weightsVersion !== this.version) {
          this.own.set(this.weights.shared);
          this.version = job.weightsVersion;
        }
        const feeds: Feeds = { ...job.feeds };
        for (const p of this.weights.layout) feeds[p.name] = { data: this.own.subarray(p.offset, p.offset + p.length), dims: p.shape };
        outputs.push(await runOnnxNamed(await this.session(job.graph), feeds));
      }
      return outputs;
    });
  }

  async close(): Promise<void> {
    await this.serial(() => this.releaseAll());
  }

  private async session(graph: ReplicaGraph): Promise<OnnxSession> {
    let found = this.sessions.get(graph);
    if (!found) {
      // The any-size graph, opened at an epoch's end: both stay open but never run at once (the queue).
      found = await createOnnxSession(this.graphs[graph], { device: this.provider });
      this.sessions.set(graph, found);
    }
    return found;
  }

  private async releaseAll(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
