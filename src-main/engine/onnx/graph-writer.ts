/**
 * An ONNX graph being written: its nodes, initializers, inputs and outputs, in order. The one
 * builder under both ONNX graphs: the inference export (onnx-graph.ts) adds a checkpoint's
 * weights and batch-norm folding, the training graph (ort-train/graph-builder.ts GradGraph) fresh
 * value names, shared constants and the backward pass.
 */
import type { Attribute, OnnxInitializer, OnnxNode, OnnxValueInfo } from './onnx-proto';

export class GraphWriter {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];

  input(name: string, shape: (number | string)[]): string {
    this.inputs.push({ name, shape });
    return name;
  }

  /** An initializer called `name`; returns the name. */
  constant(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** A node called `name` whose outputs are `outputs` (by default one, named as the node); returns the first. */
  node(opType: string, name: string, inputs: string[], attributes?: Record<string, Attribute>, outputs: string[] = [name]): string {
    this.nodes.push({ opType, name, inputs, outputs, attributes });
    return outputs[0];
  }
}
