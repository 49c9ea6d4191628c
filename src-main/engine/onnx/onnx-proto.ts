/**
 * The subset of ONNX's protobuf schema (onnx/onnx.proto, IR version 7 = opset 13) that the
 * ShuffleNet export writes, as plain objects plus an encoder. Field numbers are the schema's.
 */
import { MessageWriter } from './protobuf';

/** ONNX IR version that goes with opset 13 (ONNX 1.8). */
export const IR_VERSION = 7;
export const OPSET_VERSION = 13;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values used here. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** A number is an INT attribute; `{ float }` marks a FLOAT one. */
export type Attribute = number | string | readonly number[] | { float: number };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Integer, integer-list, float and string attributes (all these graphs need). */
  attributes?: Record<string, Attribute>;
}

/** A constant tensor: float32 weights or int64 shapes, stored little-endian in raw_data. */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: float32 with fixed sizes or symbolic names (e.g. 'batch'). */
export interface OnnxValueInfo {
  name: string;
  shape: (number | string)[];
  docString?: string;
}

export interface OnnxModel {
  producerName: string;
  producerVersion: string;
  docString: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** ModelProto.metadata_props: free-form key/value strings. */
  metadata: Record<string, string>;
  /** Default-domain opset; OPSET_VERSION (13, with IR_VERSION) when absent. */
  opset?: { version: number; irVersion: number };
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function rawBytes(data: Float32Array | BigInt64Array): Uint8Array {
  if (!isLittleEndian()) throw new Error('ONNX export needs a little-endian machine (raw_data is little-endian)');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeAttribute(name: string, value: Attribute): MessageWriter {
  const w = new MessageWriter().string(1, name);
  if (typeof value === 'number') {
    w.varint(3, value).varint(20, AttributeType.INT);
  } else if (typeof value === 'string') {
    w.bytes(4, new TextEncoder().encode(value)).varint(20, AttributeType.STRING);
  } else if ('float' in value) {
    w.float32(2, value.float).varint(20, AttributeType.FLOAT);
  } else {
    w.varints(8, value).varint(20, AttributeType.INTS);
  }
  return w;
}

function encodeNode(node: OnnxNode): MessageWriter {
  const w = new MessageWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(name, value));
  return w;
}

function encodeInitializer(t: OnnxInitializer): MessageWriter {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new Error(`initializer ${t.name}: dims [${t.dims}] hold ${count} values, data has ${t.data.length}`);
  const dataType = t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64;
  return new MessageWriter().varints(1, t.dims).varint(2, dataType).string(8, t.name).bytes(9, rawBytes(t.data));
}

function encodeValueInfo(v: OnnxValueInfo): MessageWriter {
  const shape = new MessageWriter();
  for (const d of v.shape) {
    shape.message(1, typeof d === 'number' ? new MessageWriter().varint(1, d) : new MessageWriter().string(2, d));
  }
  const tensorType = new MessageWriter().varint(1, DataType.FLOAT).message(2, shape);
  const w = new MessageWriter().string(1, v.name).message(2, new MessageWriter().message(1, tensorType));
  if (v.docString) w.string(3, v.docString);
  return w;
}

/** Serialises a model to the bytes of an `.onnx` file (a ModelProto). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new MessageWriter();
  for (const node of model.nodes) graph.message(1, encodeNode(node));
  graph.string(2, model.graphName);
  for (const t of model.initializers) graph.message(5, encodeInitializer(t));
  for (const v of model.inputs) graph.message(11, encodeValueInfo(v));
  for (const v of model.outputs) graph.message(12, encodeValueInfo(v));

  const w = new MessageWriter()
    .varint(1, model.opset?.irVersion ?? IR_VERSION)
    .string(2, model.producerName)
    .string(3, model.producerVersion)
    .string(6, model.docString)
    .message(7, graph)
    .message(8, new MessageWriter().string(1, '').varint(2, model.opset?.version ?? OPSET_VERSION));
  for (const [key, value] of Object.entries(model.metadata)) {
    w.message(14, new MessageWriter().string(1, key).string(2, value));
  }
  return w.finish();
}
