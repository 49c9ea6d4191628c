/**
 * A TensorFlow GraphDef in the JSON form that `tf.loadGraphModel` (tfjs-converter) reads from a
 * graph model's `model.json`: a node list whose constants live in the weights manifest, matched by
 * node name. Attribute values are written the way protobuf's JSON mapping writes them, which is
 * what tfjs-converter's operation_mapper parses: integers as strings in `{ list: { i } }`, strings
 * (padding, data_format) base64-encoded in `{ s }`, dtypes as enum names.
 */

/** One attribute value of a NodeDef, in protobuf JSON. */
export type TfAttr =
  { type: 'DT_FLOAT' | 'DT_INT32' } | { i: string } | { s: string } | { b: boolean } | { list: { i: string[] } } | { shape: { dim: { size: string }[] } };

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

/** A weightsManifest entry: a Const node's value, stored in the weights file in this order. */
export interface TfWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

export const float: TfAttr = { type: 'DT_FLOAT' };
export const int32: TfAttr = { type: 'DT_INT32' };
export const ints = (values: readonly number[]): TfAttr => ({ list: { i: values.map(String) } });
export const str = (value: string): TfAttr => ({ s: Buffer.from(value).toString('base64') });
export const int = (value: number): TfAttr => ({ i: String(value) });
export const bool = (value: boolean): TfAttr => ({ b: value });

/** Builds the node list and the weights (Const values) of a graph, in the order they are added. */
export class GraphDefBuilder {
  readonly nodes: TfNode[] = [];
  readonly weightSpecs: TfWeightSpec[] = [];
  private readonly weightData: Uint8Array[] = [];
  private readonly names = new Set<string>();

  /** Adds node `name` (unique) and returns its name, the handle the next node's input takes. */
  node(op: string, name: string, input: string[], attr: Record<string, TfAttr> = {}): string {
    if (this.names.has(name)) throw new Error(`GraphDef node ${name} is defined twice`);
    this.names.add(name);
    this.nodes.push({ name, op, input, attr });
    return name;
  }

  placeholder(name: string, shape: number[]): string {
    return this.node('Placeholder', name, [], { dtype: float, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } });
  }

  /** A float32 or int32 constant; its values go to the weights file. */
  constant(name: string, shape: number[], data: Float32Array | Int32Array): string {
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new Error(`Constant ${name}: ${data.length} values for shape [${shape}]`);
    const dtype = data instanceof Float32Array ? 'float32' : 'int32';
    this.weightSpecs.push({ name, shape, dtype });
    this.weightData.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return this.node('Const', name, [], { dtype: dtype === 'float32' ? float : int32 });
  }

  /** An int32 vector constant (shapes, permutations, axes, paddings). */
  ints(name: string, values: readonly number[], shape: number[] = [values.length]): string {
    return this.constant(name, shape, Int32Array.from(values));
  }

  /** Every constant's bytes, little-endian, in weightSpecs order. */
  weightsBytes(): Uint8Array {
    const out = new Uint8Array(this.weightData.reduce((n, d) => n + d.byteLength, 0));
    let offset = 0;
    for (const d of this.weightData) {
      out.set(d, offset);
      offset += d.byteLength;
    }
    return out;
  }
}
