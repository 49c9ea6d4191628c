/**
 * A tiny protobuf reader for the tests, independent of the writer: splits a message into its
 * fields so a test can check an exported ModelProto without ONNX Runtime.
 */
export type Field = { field: number; wire: 0; value: bigint } | { field: number; wire: 2; bytes: Uint8Array };

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = readVarint(buf, pos);
    pos = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [value, after] = readVarint(buf, pos);
      fields.push({ field, wire, value });
      pos = after;
    } else if (wire === 2) {
      const [len, after] = readVarint(buf, pos);
      const end = after + Number(len);
      if (end > buf.length) throw new Error('truncated length-delimited field');
      fields.push({ field, wire, bytes: buf.subarray(after, end) });
      pos = end;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return fields;
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** All length-delimited values of `field`. */
export function bytesOf(fields: Field[], field: number): Uint8Array[] {
  return fields.flatMap((f) => (f.field === field && f.wire === 2 ? [f.bytes] : []));
}

/** All varint values of `field`, as numbers (int64 two's complement read back as signed). */
export function varintsOf(fields: Field[], field: number): number[] {
  return fields.flatMap((f) => (f.field === field && f.wire === 0 ? [Number(BigInt.asIntN(64, f.value))] : []));
}
