/**
 * One training pass of ShuffleNetV1 as an ONNX graph: the forward pass in training mode (batch
 * norm on batch statistics), label-smoothed cross-entropy and the backward pass to every weight,
 * written from the same plan as the tfjs builder (model/arch.ts). The optimizer stays outside, so
 * micro-batches can add up their gradients before one update.
 */
import { samePads } from '../onnx/onnx-graph';
import type { OnnxModel } from '../onnx/onnx-proto';
import { networkPlan, type UnitPlan } from '../model/arch';
import { isHeadWeight } from '../step/fine-tune';
import type { ModelConfig } from '../types';
import { GradGraph, TRAINING_OPSET } from './graph-builder';
import * as L from './layer-grads';

export const TRAIN_INPUT = 'input';
export const TRAIN_TARGET = 'target';
/** `[1]`: the loss's divisor inverted (1 / the whole batch, also across micro-batches). */
export const TRAIN_GRAD_SCALE = 'grad_scale';
/** `[1]`: 1 / this pass's batch size, for batch norm's means. */
export const TRAIN_INV_BATCH = 'inv_batch';
export const TRAIN_LOGITS = 'logits';
export const gradOutput = (param: string) => `grad:${param}`;
export const meanOutput = (bn: string) => `bn_mean:${bn}`;
export const varianceOutput = (bn: string) => `bn_var:${bn}`;

export interface TrainingGraph {
  model: OnnxModel;
  /** Trainable weights by their tfjs names (`stage2.unit1.pw1/kernel`), with tfjs shapes: every graph input but the four above. */
  params: { name: string; shape: number[] }[];
  /** The weights the graph outputs a gradient for: all of `params`, or the head's over a frozen backbone. */
  trained: string[];
  /** Batch-norm layers whose batch mean and biased variance the graph outputs, `[channels]` each (none over a frozen backbone). */
  batchNorms: { name: string; channels: number; pixels: number }[];
}

/**
 * A head-only pass (step/fine-tune.ts): the backbone runs in inference mode on these moving
 * statistics, held as constants, and only the classifier's weights get gradients.
 */
export interface FrozenBackbone {
  movingStats: (bnLayer: string) => { mean: Float32Array; variance: Float32Array };
}

class NetworkBuilder {
  readonly g: GradGraph;
  readonly params: TrainingGraph['params'] = [];
  readonly batchNorms: TrainingGraph['batchNorms'] = [];
  readonly invBatch: string;

  constructor(
    private readonly epsilon: (bnLayer: string) => number,
    batch: number | null,
    private readonly frozen: FrozenBackbone | null,
  ) {
    this.g = new GradGraph(batch);
    this.invBatch = this.g.input(TRAIN_INV_BATCH, [1]);
  }

  param(name: string, shape: number[]): string {
    this.params.push({ name, shape });
    return this.g.input(name, shape);
  }

  batchNorm(x: L.Act, layer: string): L.Act {
    const gamma = this.param(`${layer}/gamma`, [x.channels]);
    const beta = this.param(`${layer}/beta`, [x.channels]);
    if (this.frozen) return L.frozenBatchNorm(this.g, x, gamma, beta, this.frozen.movingStats(layer), this.epsilon(layer));
    const { y, mean, variance } = L.batchNorm(this.g, x, gamma, beta, this.epsilon(layer), this.invBatch);
    this.g.output(meanOutput(layer), mean, [x.channels]);
    this.g.output(varianceOutput(layer), variance, [x.channels]);
    this.batchNorms.push({ name: layer, channels: x.channels, pixels: x.size * x.size });
    return y;
  }

  pointwise(x: L.Act, layer: string, cout: number, groups: number): L.Act {
    const kernel = this.param(`${layer}/kernel`, [1, 1, x.channels / groups, cout]);
    return L.pointwiseConv(this.g, x, kernel, cout, groups);
  }

  unit(x: L.Act, u: UnitPlan): L.Act {
    const n = u.name;
    let b = this.pointwise(x, `${n}.pw1`, u.midChannels, u.firstGroups);
    b = L.relu(this.g, this.batchNorm(b, `${n}.pw1_bn`));
    if (u.groups > 1) b = L.channelShuffle(this.g, b, u.groups);
    b = L.depthwiseConv(this.g, b, this.param(`${n}.dw/depthwise_kernel`, [3, 3, u.midChannels, 1]), u.stride);
    b = this.batchNorm(b, `${n}.dw_bn`);
    b = this.batchNorm(this.pointwise(b, `${n}.pw2`, u.branchChannels, u.groups), `${n}.pw2_bn`);
    const merged = u.stride === 2 ? L.concat(this.g, L.averagePool(this.g, x), b) : L.add(this.g, x, b);
    return L.relu(this.g, merged);
  }
}

/**
 * The training graph of a ShuffleNetV1 with `config`.
 * Inputs: `input` float32 `[batch, 3, inputSize, inputSize]` (NCHW, normalised: runtime/nchw.ts),
 * `target` `[batch, numClasses]` (label-smoothed class probabilities), `grad_scale` and
 * `inv_batch` (see above), then every weight of `params` under its tfjs name.
 * Outputs: `logits` `[batch, numClasses]`, `grad:<weight>` for each weight in its tfjs shape (the
 * gradient of sum(loss) * grad_scale), and `bn_mean:<layer>` / `bn_var:<layer>`.
 * @param epsilon batch norm epsilon of a layer, as the tfjs model has it
 * @param batch the batch size of every run (faster: see GradGraph), or null for a graph that takes any
 * @param frozen for a head-only pass: the backbone's moving statistics; its outputs are then `logits`
 *   and the gradients of the classifier's two weights
 */
export function buildTrainingGraph(config: ModelConfig, epsilon: (bnLayer: string) => number, batch: number | null = null, frozen: FrozenBackbone | null = null): TrainingGraph {
  const plan = networkPlan(config);
  const net = new NetworkBuilder(epsilon, batch, frozen);
  const g = net.g;
  const size = config.inputSize;
  const batchDim = batch ?? 'batch';
  const input = g.input(TRAIN_INPUT, [batchDim, 3, size, size]);
  const target = g.input(TRAIN_TARGET, [batchDim, config.numClasses]);
  const gradScale = g.input(TRAIN_GRAD_SCALE, [1]);

  let x: L.Act = { value: input, channels: 3, size };
  const stemKernel = net.param('stem.conv/kernel', [3, 3, 3, plan.stemChannels]);
  x = L.stemConv(g, x, stemKernel, plan.stemChannels, plan.stemStride, samePads(size, 3, plan.stemStride));
  x = L.relu(g, net.batchNorm(x, 'stem.bn'));
  if (plan.stemMaxPool) x = L.maxPool(g, x, samePads(x.size, 3, 2));
  for (const unit of plan.units) x = net.unit(x, unit);
  const pooled = L.globalAveragePool(g, x);
  const kernel = net.param('classifier/kernel', [plan.finalChannels, config.numClasses]);
  const logits = L.dense(g, pooled, kernel, net.param('classifier/bias', [config.numClasses]), frozen === null);
  g.output(TRAIN_LOGITS, logits, [batchDim, config.numClasses]);

  // d(sum of smoothed cross-entropy) / d logits = softmax - target, then scaled.
  g.addGrad(logits, g.op('Mul', [g.op('Sub', [g.op('Softmax', [logits], { axis: 1 }), target]), gradScale], undefined, 'loss_grad'));
  g.backward();
  const trained = frozen ? net.params.filter((p) => isHeadWeight(p.name)) : net.params;
  for (const { name, shape } of trained) {
    const grad = g.grad(name);
    if (!grad) throw new Error(`training graph: weight ${name} received no gradient`);
    g.output(gradOutput(name), grad, shape);
  }
  return {
    model: {
      producerName: 'shufflenet-studio',
      producerVersion: '1',
      docString: frozen ? 'ShuffleNetV1 head-only training pass: frozen backbone in inference mode, the head\'s gradients' : 'ShuffleNetV1 training pass: forward, label-smoothed cross-entropy, backward',
      graphName: 'shufflenet_v1_training',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: g.inputs,
      outputs: g.outputs,
      metadata: {},
      opset: TRAINING_OPSET,
    },
    params: net.params,
    trained: trained.map((p) => p.name),
    batchNorms: net.batchNorms,
  };
}
