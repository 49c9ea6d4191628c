/**
 * A small reverse-mode builder for ONNX graphs (the one GraphWriter, onnx/graph-writer.ts, plus
 * what training needs): forward nodes are added in order, each layer
 * records how to push gradients back, and `backward()` replays those records in reverse, summing
 * the gradients of values used more than once. ONNX Runtime then runs forward and backward as one
 * inference graph, so training gets its multi-threaded MLAS kernels.
 */
import { GraphWriter } from '../onnx/graph-writer';
import type { Attribute } from '../onnx/onnx-proto';

/** Default-domain opset of the training graph (ReduceSum axes as input, ScatterElements reduction). */
export const TRAINING_OPSET = { version: 17, irVersion: 8 } as const;

export class GradGraph extends GraphWriter {
  private readonly backwardSteps: (() => void)[] = [];
  private readonly gradParts = new Map<string, string[]>();
  private readonly constants = new Map<string, string>();
  private count = 0;

  /**
   * @param batch the batch size every run will have, or null for any: a fixed size lets ONNX
   *   Runtime plan memory once and lets layers choose kernels that depend on it
   */
  constructor(readonly batch: number | null = null) {
    super();
  }

  /** A fresh value name that starts with `hint` (for readable profiles). */
  private fresh(hint: string): string {
    this.count += 1;
    return `${hint}#${this.count}`;
  }

  /** Makes `value` a graph output called `name` (an Identity node, so names stay free). */
  output(name: string, value: string, shape: (number | string)[]): void {
    this.node('Identity', name, [value]);
    this.outputs.push({ name, shape });
  }

  /** One node with a single output; returns the output's name. */
  op(opType: string, inputs: string[], attributes?: Record<string, Attribute>, hint = opType): string {
    return this.opN(opType, inputs, 1, attributes, hint)[0];
  }

  /** One node with `outputCount` outputs. */
  opN(opType: string, inputs: string[], outputCount: number, attributes?: Record<string, Attribute>, hint = opType): string[] {
    const name = this.fresh(hint);
    const outputs = Array.from({ length: outputCount }, (_, i) => (i === 0 ? name : `${name}:${i}`));
    this.node(opType, name, inputs, attributes, outputs);
    return outputs;
  }

  /** An int64 constant (shapes, axes, pads), shared by every node that uses the same values. */
  ints(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('ints');
      this.constant(
        name,
        [values.length],
        BigInt64Array.from(values, (v) => BigInt(v)),
      );
      this.constants.set(key, name);
    }
    return name;
  }

  /** A float32 scalar constant of shape [1] (broadcasts against anything). */
  scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('scalar');
      this.constant(name, [1], Float32Array.of(value));
      this.constants.set(key, name);
    }
    return name;
  }

  /** A float32 constant `[length]` with every element `value`. */
  filled(value: number, length: number): string {
    const key = `f32x${length}:${value}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('filled');
      this.constant(name, [length], new Float32Array(length).fill(value));
      this.constants.set(key, name);
    }
    return name;
  }

  /** A float32 constant `[values.length]` holding `values` (not shared: each call is its own). */
  floats(values: Float32Array, hint = 'floats'): string {
    const name = this.fresh(hint);
    return this.constant(name, [values.length], Float32Array.from(values));
  }

  reshape(x: string, shape: readonly number[]): string {
    return this.op('Reshape', [x, this.ints(shape)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm });
  }

  /** Registers what to do, once the gradients of this layer's outputs are known. */
  onBackward(step: () => void): void {
    this.backwardSteps.push(step);
  }

  /** Adds `grad` to the gradient of `value`. */
  addGrad(value: string, grad: string): void {
    const parts = this.gradParts.get(value);
    if (parts) parts.push(grad);
    else this.gradParts.set(value, [grad]);
  }

  /** The gradient of `value` (the sum of every part added), or null when nothing depends on it. */
  grad(value: string): string | null {
    const parts = this.gradParts.get(value);
    if (!parts) return null;
    // Two parts (the usual case) as an Add, which ONNX Runtime can fuse into the Conv producing one.
    if (parts.length > 1) this.gradParts.set(value, [this.op(parts.length === 2 ? 'Add' : 'Sum', parts, undefined, 'grad_sum')]);
    return this.gradParts.get(value)![0];
  }

  /** Replays the recorded steps from the last layer to the first. */
  backward(): void {
    for (let i = this.backwardSteps.length - 1; i >= 0; i--) this.backwardSteps[i]();
    this.backwardSteps.length = 0;
  }
}
