/**
 * The ONNX graph writer of the inference export (onnx-graph.ts): a checkpoint's weights, each
 * checked against the shape the layer list expects and marked used (so leftovers can be refused),
 * and batch norms folded into the convolutions before them.
 */
import { UserError } from '../errors';
import type { BatchNorm } from '../model/plan';
import type { CheckpointWeights, NamedWeight } from './checkpoint-weights';
import { GraphWriter } from './graph-writer';
import type { Attribute } from './onnx-proto';

/** The graph writer with a checkpoint's weights: each is checked against its expected shape and marked used. */
export class CheckpointGraph extends GraphWriter {
  private readonly used = new Set<string>();

  constructor(private readonly ckpt: CheckpointWeights) {
    super();
  }

  /** A saved weight, checked against the shape the model definition expects. */
  weight(name: string, shape: number[]): NamedWeight {
    const w = this.ckpt.weights.get(name);
    if (!w) throw new UserError(`The checkpoint has no weight ${name}: it does not match its manifest's model settings`, 'model-corrupt');
    if (w.shape.join(',') !== shape.join(',')) {
      throw new UserError(`Weight ${name} has shape [${w.shape}], the model settings expect [${shape}]`, 'model-corrupt');
    }
    this.used.add(name);
    return w;
  }

  unusedWeights(): string[] {
    return [...this.ckpt.weights.keys()].filter((k) => !this.used.has(k));
  }

  epsilon(bnLayer: string): number {
    const eps = this.ckpt.layerConfigs.get(bnLayer)?.epsilon;
    if (typeof eps !== 'number') throw new UserError(`Batch norm layer ${bnLayer} has no epsilon in model.json`, 'model-corrupt');
    return eps;
  }

  /**
   * Folds batch norm `bn` into the OIHW weight of the convolution before it, in place, and returns
   * the bias: W' = W * s, b = beta - mean * s with s = gamma / sqrt(movingVariance + epsilon), per
   * output channel. Inference uses the moving statistics, so the folded conv is exact.
   */
  foldBn(bn: BatchNorm, oihw: Float32Array, cout: number): Float32Array {
    const perOut = oihw.length / cout;
    const gamma = this.weight(bn.gamma.name, [cout]).data;
    const beta = this.weight(bn.beta.name, [cout]).data;
    const mean = this.weight(bn.movingMean.name, [cout]).data;
    const variance = this.weight(bn.movingVariance.name, [cout]).data;
    const eps = this.epsilon(bn.name);
    const bias = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      const s = gamma[o] / Math.sqrt(variance[o] + eps);
      for (let k = o * perOut; k < (o + 1) * perOut; k++) oihw[k] *= s;
      bias[o] = beta[o] - mean[o] * s;
    }
    return bias;
  }

  /** A Conv node `out` with weight `dims` (OIHW) and bias; `kernel_shape` from the weight. */
  conv(name: string, out: string, x: string, oihw: Float32Array, bias: Float32Array, dims: number[], attributes: Record<string, Attribute>): string {
    const cout = dims[0];
    const w = this.constant(`${name}.weight`, dims, oihw);
    const b = this.constant(`${name}.bias`, [cout], bias);
    return this.node('Conv', out, [x, w, b], { kernel_shape: dims.slice(2), ...attributes });
  }
}
