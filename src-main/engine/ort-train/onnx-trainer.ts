/**
 * Training steps on ONNX Runtime: the training graph (training-graph.ts) computes logits, batch
 * statistics and gradients, one micro-batch per replica at a time (replicas.ts); momentum SGD and
 * the moving averages run here on plain arrays, with the same rules as MomentumSgd (whose
 * `rateOf` gives each weight's rate) and BatchNorm2d. A head-only step (step/fine-tune.ts) runs
 * another graph, the backbone frozen in inference mode, and updates only the head. The tfjs model
 * and optimizer stay the session's record: `sync()` writes the weights, velocities and moving
 * statistics back before validation and checkpoints, so checkpoints, resuming and evaluation do
 * not change.
 */
import * as tf from '@tensorflow/tfjs';
import { encodeOnnxModel } from '../onnx/onnx-proto';
import { BatchNorm2d, movingMomentum, varianceCorrection } from '../model/batch-norm';
import { pixelsToNchw } from '../runtime/nchw';
import { onnxRuntimeStatus } from '../onnx/onnx-runtime';
import { smoothedCrossEntropyOf } from '../metrics/loss';
import { microBatchRanges } from '../step/micro-batch';
import { isHeadWeight } from '../step/fine-tune';
import { isDecayed, momentumSgdStep, type MomentumSgd } from '../step/sgd';
import { onnxLogitsForModel } from '../runtime/logits-runner';
import { argmaxRow, type StepOptions, type StepResult, type Trainer } from '../step/trainer';
import type { CheckpointModelInfo, ModelConfig } from '../types';
import {
  buildTrainingGraph,
  gradOutput,
  meanOutput,
  TRAIN_GRAD_SCALE,
  TRAIN_INPUT,
  TRAIN_INV_BATCH,
  TRAIN_LOGITS,
  TRAIN_TARGET,
  varianceOutput,
  type FrozenBackbone,
  type TrainingGraph,
} from './training-graph';
import type { Feeds, ReplicaGraph, SharedParam, StepRunner } from './replica-protocol';
import { ReplicaPool } from './replicas';
import { DeviceSession } from './device-session';
import { requestedDevice, trainingGpu, type DeviceChoice } from '../runtime/devices';
import { trainingReplicaLimit } from '../step/replica-count';

interface Param {
  name: string;
  shape: number[];
  variable: tf.Variable;
  value: Float32Array;
  velocity: Float32Array;
  grad: Float32Array;
  decayed: boolean;
  /** The classifier's: the only weights a head-only step updates. */
  head: boolean;
}

interface MovingStats {
  layer: BatchNorm2d;
  pixels: number;
  mean: tf.LayerVariable;
  variance: tf.LayerVariable;
  meanValue: Float32Array;
  varianceValue: Float32Array;
}

function layerVariable(layer: BatchNorm2d, suffix: string): tf.LayerVariable {
  const found = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`));
  if (!found) throw new Error(`batch norm ${layer.name} has no ${suffix}`);
  return found;
}

export class OnnxTrainer implements Trainer {
  /** Whether the tfjs model and optimizer hold the current arrays (validation and the checkpoint both ask). */
  private synced = true;

  private constructor(
    /** The session's tfjs model, which sync() writes into and validation exports. */
    private readonly model: tf.LayersModel,
    private readonly pool: StepRunner,
    private readonly numClasses: number,
    private readonly microBatchSize: number,
    private readonly params: Param[],
    private readonly stats: MovingStats[],
    private readonly sgd: MomentumSgd,
    /** The model's trainable variables, in the optimizer's order. */
    private readonly variables: tf.Variable[],
    private readonly runtime: string,
    /** ONNX bytes of the fixed-size and any-size graphs, for full steps or head-only ones. */
    private readonly graphsOf: (headOnly: boolean) => Record<ReplicaGraph, Uint8Array>,
    /** Which of the two the replicas have open. */
    private headOnly: boolean,
  ) {}

  /**
   * Opens the training graph of `modelConfig` on ONNX Runtime replicas (replicas.ts) and copies
   * the model's weights, the optimizer's velocities and the moving statistics out of tfjs.
   * @param variables the model's trainable variables, in `model.trainableWeights` order (as `sgd` holds them)
   * @param sizes the batch size and the micro-batch size of the steps to come; as many replicas
   *   start as a full batch has micro-batches, up to trainingReplicaLimit(). `headOnly`: whether the
   *   first step will be head-only, so the replicas open that graph first. `device` (the training
   *   config's, as train/setup.ts passes it; without it env SHUFFLENET_DEVICE, else 'auto';
   *   runtime/devices.ts trainingGpu): on a GPU every micro-batch
   *   runs on one session there (device-session.ts), on the CPU on the replicas
   * @throws Error when ONNX Runtime is not available or cannot open the graph; UserError when the named device is not available
   */
  static async create(
    model: tf.LayersModel,
    modelConfig: ModelConfig,
    variables: tf.Variable[],
    sgd: MomentumSgd,
    sizes: { batchSize: number; microBatchSize: number; headOnly?: boolean; device?: DeviceChoice },
  ): Promise<OnnxTrainer> {
    const status = onnxRuntimeStatus();
    if (!status.available) throw new Error(`ONNX Runtime is not available: ${status.reason}`);
    const epsilon = (name: string) => (model.getLayer(name) as BatchNorm2d).epsilon;
    const graph: TrainingGraph = buildTrainingGraph(modelConfig, epsilon);
    const { header, velocities } = await sgd.getState();
    const byName = new Map(header.entries.map((entry, i) => [entry.name, i]));
    let offset = 0;
    const offsets = header.entries.map((entry) => {
      const start = offset;
      offset += entry.shape.reduce((a, b) => a * b, 1);
      return start;
    });
    // The weights live in one shared buffer that every replica reads.
    const buffer = new SharedArrayBuffer(offset * 4);
    let shared = 0;
    const layout: SharedParam[] = [];
    const params = graph.params.map(({ name, shape }) => {
      const index = byName.get(name);
      if (index === undefined) throw new Error(`training graph weight ${name} is not a trainable weight of the model`);
      const variable = variables[index];
      const size = variable.size;
      const value = new Float32Array(buffer, shared * 4, size);
      value.set(variable.dataSync() as Float32Array);
      layout.push({ name, offset: shared, length: size, shape });
      shared += size;
      return {
        name,
        shape,
        variable,
        value,
        velocity: velocities.slice(offsets[index], offsets[index] + size),
        grad: new Float32Array(size),
        decayed: isDecayed(variable),
        head: isHeadWeight(name),
      };
    });
    if (params.length !== variables.length) throw new Error(`training graph has ${params.length} weights, the model ${variables.length}`);
    const stats = graph.batchNorms.map(({ name, pixels }) => {
      const layer = model.getLayer(name) as BatchNorm2d;
      const mean = layerVariable(layer, 'moving_mean');
      const variance = layerVariable(layer, 'moving_variance');
      return {
        layer,
        pixels,
        mean,
        variance,
        meanValue: Float32Array.from(mean.read().dataSync() as Float32Array),
        varianceValue: Float32Array.from(variance.read().dataSync() as Float32Array),
      };
    });
    const { batchSize, microBatchSize } = sizes;
    const headOnly = sizes.headOnly ?? false;
    const parts = microBatchRanges(batchSize, microBatchSize).length;
    const count = Math.min(parts, trainingReplicaLimit());
    // The head-only graph holds the moving statistics as constants: they do not change while it runs.
    const statsByLayer = new Map(stats.map((s) => [s.layer.name, s]));
    const frozen: FrozenBackbone = {
      movingStats: (layer) => {
        const s = statsByLayer.get(layer);
        if (!s) throw new Error(`training graph batch norm ${layer} is not a layer of the model`);
        return { mean: s.meanValue, variance: s.varianceValue };
      },
    };
    const graphsOf = (headOnlyGraph: boolean) => {
      const f = headOnlyGraph ? frozen : null;
      return {
        fixed: encodeOnnxModel(buildTrainingGraph(modelConfig, epsilon, microBatchSize, f).model),
        any: encodeOnnxModel(f ? buildTrainingGraph(modelConfig, epsilon, null, f).model : graph.model),
      };
    };
    const weights = { buffer, layout };
    const gpu = await trainingGpu(requestedDevice(sizes.device));
    const pool = gpu ? await DeviceSession.open(gpu, graphsOf(headOnly), weights) : await ReplicaPool.open(count, graphsOf(headOnly), weights);
    return new OnnxTrainer(
      model,
      pool,
      modelConfig.numClasses,
      microBatchSize,
      params,
      stats,
      sgd,
      variables,
      `onnxruntime-node ${status.version}`,
      graphsOf,
      headOnly,
    );
  }

  /** What runs the steps, for people: `onnxruntime-node 1.30.0 (cpu, 2 replicas)`, `onnxruntime-node 1.30.0 (webgpu)`. */
  get detail(): string {
    const replicas = this.pool.size === 1 ? '' : `, ${this.pool.size} replicas`;
    return `${this.runtime} (${this.pool.provider}${replicas})`;
  }

  /**
   * One SGD step over a batch, the same update as trainStep (train-step.ts): each micro-batch's
   * gradient of its summed loss / n is added up, then one momentum update at `lr`; batch norm
   * normalises with each micro-batch's statistics and updates its moving averages per micro-batch.
   * With `headOnly`, as trainStep's: the backbone in inference mode, only the head updated.
   * @param pixels RGB uint8 `[n, storeSize, storeSize, 3]` (already augmented)
   * @param labels `[n]` class indices
   */
  async step(pixels: Uint8Array, labels: Int32Array, lr: number, options: StepOptions): Promise<StepResult> {
    const { prep, labelSmoothing } = options;
    const headOnly = options.headOnly ?? false;
    if (headOnly !== this.headOnly) {
      await this.pool.reopen(this.graphsOf(headOnly));
      this.headOnly = headOnly;
    }
    const trained = headOnly ? this.params.filter((p) => p.head) : this.params;
    const n = labels.length;
    const imageSize = prep.storeSize * prep.storeSize * 3;
    const c = this.numClasses;
    const ranges = microBatchRanges(n, this.microBatchSize);
    const jobs = await Promise.all(
      ranges.map(async ({ start, end }) => {
        const m = end - start;
        const input = await pixelsToNchw(pixels.subarray(start * imageSize, end * imageSize), m, prep);
        const target = new Float32Array(m * c).fill(labelSmoothing / c);
        for (let i = 0; i < m; i++) target[i * c + labels[start + i]] += 1 - labelSmoothing;
        const feeds: Feeds = {
          [TRAIN_INPUT]: { data: input, dims: [m, 3, prep.inputSize, prep.inputSize] },
          [TRAIN_TARGET]: { data: target, dims: [m, c] },
          [TRAIN_GRAD_SCALE]: { data: Float32Array.of(1 / n), dims: [1] },
          [TRAIN_INV_BATCH]: { data: Float32Array.of(1 / m), dims: [1] },
        };
        const graph = m === this.microBatchSize ? ('fixed' as const) : ('any' as const);
        // The weights change once per step.
        return { graph, feeds, weightsVersion: this.sgd.step };
      }),
    );
    const outputs = await this.pool.run(jobs);

    let lossSum = 0;
    let correct = 0;
    // In micro-batch order, whichever replica ran it: the sums and moving averages do not depend on the replica count.
    for (const [part, { start, end }] of ranges.entries()) {
      const m = end - start;
      const out = outputs[part];
      const logits = out[TRAIN_LOGITS];
      for (let i = 0; i < m; i++) {
        lossSum += smoothedCrossEntropyOf(logits.subarray(i * c, (i + 1) * c), labels[start + i], labelSmoothing);
        if (argmaxRow(logits, i, c) === labels[start + i]) correct += 1;
      }
      for (const p of trained) {
        const grad = out[gradOutput(p.name)];
        if (part === 0) p.grad.set(grad);
        else for (let k = 0; k < grad.length; k++) p.grad[k] += grad[k];
      }
      if (!headOnly) this.updateMovingStats(out, m, this.sgd.step * ranges.length + part);
    }
    this.applySgd(lr, trained);
    return { lossSum, correct, count: n };
  }

  /** BatchNorm2d's rule: unbiased batch variance, and a plain mean while fewer than 1 / (1 - momentum) updates were made. */
  private updateMovingStats(out: Record<string, Float32Array>, batch: number, updates: number): void {
    for (const s of this.stats) {
      const unbias = varianceCorrection(batch * s.pixels);
      const momentum = movingMomentum(s.layer.momentum, updates);
      const mean = out[meanOutput(s.layer.name)];
      const variance = out[varianceOutput(s.layer.name)];
      for (let k = 0; k < mean.length; k++) {
        s.meanValue[k] = momentum * s.meanValue[k] + (1 - momentum) * mean[k];
        s.varianceValue[k] = momentum * s.varianceValue[k] + (1 - momentum) * variance[k] * unbias;
      }
    }
  }

  /**
   * MomentumSgd's rule (step/sgd.ts momentumSgdStep) on the arrays of the `trained` weights; the
   * others, as weights without a gradient there, stay untouched.
   */
  private applySgd(lr: number, trained: readonly Param[]): void {
    const { momentum, weightDecay } = this.sgd.options;
    for (const p of trained) {
      momentumSgdStep(p, momentum, p.decayed ? weightDecay : 0, this.sgd.rateOf(p.name, lr));
    }
    this.sgd.step += 1;
    this.synced = false;
  }

  /** Writes weights, velocities and moving statistics into the tfjs model and optimizer (once per change). */
  async sync(): Promise<void> {
    if (this.synced) return;
    for (const p of this.params) tf.tidy(() => p.variable.assign(tf.tensor(p.value, p.variable.shape, 'float32')));
    for (const s of this.stats) {
      tf.tidy(() => {
        s.mean.write(tf.tensor1d(s.meanValue, 'float32'));
        s.variance.write(tf.tensor1d(s.varianceValue, 'float32'));
      });
    }
    // The optimizer's own order (model.trainableWeights), not the graph's.
    const byVariable = new Map(this.params.map((p) => [p.variable, p]));
    const ordered = this.variables.map((v) => byVariable.get(v)!);
    const velocities = new Float32Array(ordered.reduce((sum, p) => sum + p.velocity.length, 0));
    let offset = 0;
    for (const p of ordered) {
      velocities.set(p.velocity, offset);
      offset += p.velocity.length;
    }
    const { momentum, weightDecay } = this.sgd.options;
    const entries = ordered.map((p) => ({ name: p.name, shape: p.variable.shape.slice() }));
    this.sgd.setState({ header: { formatVersion: 1, step: this.sgd.step, momentum, weightDecay, entries }, velocities });
    this.synced = true;
  }

  /** Validation runs on ONNX Runtime too, on the in-memory export of the synced weights. */
  async validationLogits(info: CheckpointModelInfo): ReturnType<Trainer['validationLogits']> {
    await this.sync();
    return onnxLogitsForModel(this.model, info);
  }

  async dispose(): Promise<void> {
    await this.pool.close();
  }
}
