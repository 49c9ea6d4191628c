/**
 * One training pass of ShuffleNetV1 as an ONNX graph: the forward pass in training mode (batch
 * norm on batch statistics), label-smoothed cross-entropy and the backward pass to every weight,
 * written from the layer list the tfjs builder walks (model/plan.ts describeShuffleNet). The
 * optimizer stays outside, so micro-batches can add up their gradients before one update.
 */
import type { OnnxModel } from '../onnx/onnx-proto';
import { describeShuffleNet, type BatchNorm, type Layer, type UnitLayers, type WeightSpec } from '../model/plan';
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

  param(w: WeightSpec): string {
    this.params.push({ name: w.name, shape: w.shape });
    return this.g.input(w.name, w.shape);
  }

  batchNorm(x: L.Act, l: BatchNorm): L.Act {
    const gamma = this.param(l.gamma);
    const beta = this.param(l.beta);
    const eps = this.epsilon(l.name);
    if (this.frozen) return L.frozenBatchNorm(this.g, x, gamma, beta, this.frozen.movingStats(l.name), eps);
    const { y, mean, variance } = L.batchNorm(this.g, x, gamma, beta, eps, this.invBatch);
    this.g.output(meanOutput(l.name), mean, [x.channels]);
    this.g.output(varianceOutput(l.name), variance, [x.channels]);
    this.batchNorms.push({ name: l.name, channels: x.channels, pixels: x.size * x.size });
    return y;
  }

  /** One layer's forward nodes, its gradient recorded for backward (layer-grads.ts, one function per kind). */
  layer(x: L.Act, l: Layer): L.Act {
    const g = this.g;
    switch (l.kind) {
      case 'stemConv':
        return L.stemConv(g, x, this.param(l.kernel), l.channels, l.stride, l.pads);
      case 'pointwiseConv':
        return L.pointwiseConv(g, x, this.param(l.kernel), l.channels, l.groups);
      case 'channelShuffle':
        return L.channelShuffle(g, x, l.groups);
      case 'depthwiseConv':
        return L.depthwiseConv(g, x, this.param(l.kernel), l.stride);
      case 'batchNorm':
        return this.batchNorm(x, l);
      case 'relu':
        return L.relu(g, x);
      case 'maxPool':
        return L.maxPool(g, x, l.pads);
      case 'avgPool':
        return L.avgPool(g, x);
      case 'globalPool':
        return L.globalPool(g, x);
      case 'dense':
        // Over a frozen backbone nothing below the head needs a gradient.
        return L.dense(g, x, this.param(l.kernel), this.param(l.bias), l.channels, this.frozen === null);
    }
  }

  layers(x: L.Act, layers: readonly Layer[]): L.Act {
    return layers.reduce((v, l) => this.layer(v, l), x);
  }

  unit(x: L.Act, u: UnitLayers): L.Act {
    const b = this.layers(x, u.branch);
    const shortcut = this.layers(x, u.shortcut);
    const merged = u.merge.kind === 'concat' ? L.concat(this.g, shortcut, b) : L.add(this.g, shortcut, b);
    return this.layer(merged, u.relu);
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
export function buildTrainingGraph(
  config: ModelConfig,
  epsilon: (bnLayer: string) => number,
  batch: number | null = null,
  frozen: FrozenBackbone | null = null,
): TrainingGraph {
  const net = describeShuffleNet(config);
  const builder = new NetworkBuilder(epsilon, batch, frozen);
  const g = builder.g;
  const size = config.inputSize;
  const batchDim = batch ?? 'batch';
  const input = g.input(TRAIN_INPUT, [batchDim, 3, size, size]);
  const target = g.input(TRAIN_TARGET, [batchDim, config.numClasses]);
  const gradScale = g.input(TRAIN_GRAD_SCALE, [1]);

  let x: L.Act = { value: input, channels: 3, size };
  x = builder.layers(x, net.stem);
  for (const unit of net.units) x = builder.unit(x, unit);
  const logits = builder.layers(x, net.head).value;
  g.output(TRAIN_LOGITS, logits, [batchDim, config.numClasses]);

  // d(sum of smoothed cross-entropy) / d logits = softmax - target, then scaled.
  g.addGrad(logits, g.op('Mul', [g.op('Sub', [g.op('Softmax', [logits], { axis: 1 }), target]), gradScale], undefined, 'loss_grad'));
  g.backward();
  const trained = frozen ? builder.params.filter((p) => isHeadWeight(p.name)) : builder.params;
  for (const { name, shape } of trained) {
    const grad = g.grad(name);
    if (!grad) throw new Error(`training graph: weight ${name} received no gradient`);
    g.output(gradOutput(name), grad, shape);
  }
  return {
    model: {
      producerName: 'shufflenet-studio',
      producerVersion: '1',
      docString: frozen
        ? "ShuffleNetV1 head-only training pass: frozen backbone in inference mode, the head's gradients"
        : 'ShuffleNetV1 training pass: forward, label-smoothed cross-entropy, backward',
      graphName: 'shufflenet_v1_training',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: g.inputs,
      outputs: g.outputs,
      metadata: {},
      opset: TRAINING_OPSET,
    },
    params: builder.params,
    trained: trained.map((p) => p.name),
    batchNorms: builder.batchNorms,
  };
}
