// A small protobuf wire-format reader and writer (no schema compiler, no dependency): a message is
// the list of its fields, each keeping the span of its bytes, so a writer can re-emit every field
// it does not change byte for byte (unknown fields included) and replace only the ones it does.

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (groups, 3 and 4, are refused). */
export type WireType = 0 | 1 | 2 | 5;

export interface PbField {
  no: number;
  wire: WireType;
  /** The field's bytes in the message, tag included: [start, end). */
  start: number;
  end: number;
  /** The value's bytes: the varint, the 4 or 8 fixed bytes, or a length-delimited payload. */
  valueStart: number;
}

/** A parsed message: its bytes and its fields in the order they appear. */
export interface PbMessage {
  bytes: Uint8Array;
  fields: PbField[];
}

/** Malformed protobuf bytes; the ONNX reader turns it into a message naming the file. */
export class ProtobufError extends Error {}

/** Reads a varint at `pos`: its value as a bigint (64 bits, two's complement kept) and where it ends. */
export function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let low = 0;
  let shift = 0;
  let i = pos;
  // Up to 4 bytes fit a plain number exactly; longer varints continue in bigint.
  for (; i < bytes.length && shift < 28; i++, shift += 7) {
    const b = bytes[i]!;
    low += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [BigInt(low), i + 1];
  }
  let value = BigInt(low);
  for (; i < bytes.length; i++, shift += 7) {
    if (shift > 63) throw new ProtobufError(`a varint at byte ${pos} is longer than 10 bytes`);
    const b = bytes[i]!;
    value |= BigInt(b & 0x7f) << BigInt(shift);
    if (b < 0x80) return [BigInt.asUintN(64, value), i + 1];
  }
  throw new ProtobufError(`a varint at byte ${pos} runs past the end of the data`);
}

/** A varint as a JavaScript number (int64 semantics: negative values come back negative). */
export function varintNumber(bytes: Uint8Array, pos: number): [number, number] {
  const [value, next] = readVarint(bytes, pos);
  return [Number(BigInt.asIntN(64, value)), next];
}

/** Splits `bytes` into fields; throws ProtobufError on anything the wire format does not allow. */
export function parseMessage(bytes: Uint8Array): PbMessage {
  const fields: PbField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (no === 0 || no > 536870911) throw new ProtobufError(`invalid field number ${no} at byte ${start}`);
    pos = afterTag;
    let valueStart = pos;
    if (wire === 0) pos = readVarint(bytes, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [length, afterLength] = readVarint(bytes, pos);
      valueStart = afterLength;
      if (length > BigInt(bytes.length - afterLength)) {
        throw new ProtobufError(`field ${no} at byte ${start} claims ${length} bytes but only ${bytes.length - afterLength} remain`);
      }
      pos = afterLength + Number(length);
    } else throw new ProtobufError(`unsupported wire type ${wire} (field ${no}) at byte ${start}`);
    if (pos > bytes.length) throw new ProtobufError(`field ${no} at byte ${start} runs past the end of the data`);
    fields.push({ no, wire: wire as WireType, start, end: pos, valueStart });
  }
  return { bytes, fields };
}

/** The payload of a length-delimited field (a view, not a copy). */
export function payload(msg: PbMessage, field: PbField): Uint8Array {
  if (field.wire !== 2) throw new ProtobufError(`field ${field.no} is not length-delimited`);
  return msg.bytes.subarray(field.valueStart, field.end);
}

/** The field's bytes, tag included (a view), for re-emitting it unchanged. */
export function rawField(msg: PbMessage, field: PbField): Uint8Array {
  return msg.bytes.subarray(field.start, field.end);
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export function fieldString(msg: PbMessage, field: PbField): string {
  return utf8.decode(payload(msg, field));
}

/** An int64 / int32 / enum field's value (varint), or a fixed64 read as a signed integer. */
export function fieldInt(msg: PbMessage, field: PbField): number {
  if (field.wire === 0) return varintNumber(msg.bytes, field.valueStart)[0];
  if (field.wire === 1) return Number(new DataView(msg.bytes.buffer, msg.bytes.byteOffset + field.valueStart, 8).getBigInt64(0, true));
  if (field.wire === 5) return new DataView(msg.bytes.buffer, msg.bytes.byteOffset + field.valueStart, 4).getInt32(0, true);
  throw new ProtobufError(`field ${field.no} is not an integer`);
}

/** A float field (fixed32). */
export function fieldFloat(msg: PbMessage, field: PbField): number {
  if (field.wire !== 5) throw new ProtobufError(`field ${field.no} is not a float`);
  return new DataView(msg.bytes.buffer, msg.bytes.byteOffset + field.valueStart, 4).getFloat32(0, true);
}

/** A repeated integer field: packed (one length-delimited run of varints) or one varint per field. */
export function repeatedInts(msg: PbMessage, no: number): number[] {
  const out: number[] = [];
  for (const field of msg.fields) {
    if (field.no !== no) continue;
    if (field.wire !== 2) {
      out.push(fieldInt(msg, field));
      continue;
    }
    let pos = field.valueStart;
    while (pos < field.end) {
      const [value, next] = varintNumber(msg.bytes, pos);
      if (next > field.end) throw new ProtobufError(`a packed integer of field ${no} runs past its field`);
      out.push(value);
      pos = next;
    }
  }
  return out;
}

/** A repeated float field: packed (fixed32 run) or one fixed32 per field. */
export function repeatedFloats(msg: PbMessage, no: number): number[] {
  const out: number[] = [];
  for (const field of msg.fields) {
    if (field.no !== no) continue;
    if (field.wire === 5) {
      out.push(fieldFloat(msg, field));
      continue;
    }
    const bytes = payload(msg, field);
    if (bytes.length % 4 !== 0) throw new ProtobufError(`packed floats of field ${no} are ${bytes.length} bytes, not a multiple of 4`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < bytes.length; i += 4) out.push(view.getFloat32(i, true));
  }
  return out;
}

/** A repeated double field: packed (fixed64 run) or one fixed64 per field. */
export function repeatedDoubles(msg: PbMessage, no: number): number[] {
  const out: number[] = [];
  for (const field of msg.fields) {
    if (field.no !== no) continue;
    const bytes = field.wire === 1 ? msg.bytes.subarray(field.valueStart, field.end) : payload(msg, field);
    if (bytes.length % 8 !== 0) throw new ProtobufError(`packed doubles of field ${no} are ${bytes.length} bytes, not a multiple of 8`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < bytes.length; i += 8) out.push(view.getFloat64(i, true));
  }
  return out;
}

export function fieldsOf(msg: PbMessage, no: number): PbField[] {
  return msg.fields.filter((f) => f.no === no);
}

export function firstField(msg: PbMessage, no: number): PbField | undefined {
  return msg.fields.find((f) => f.no === no);
}

export function stringOf(msg: PbMessage, no: number, fallback = ''): string {
  const field = firstField(msg, no);
  return field ? fieldString(msg, field) : fallback;
}

export function intOf(msg: PbMessage, no: number, fallback = 0): number {
  // Protobuf: the last occurrence of a scalar field wins.
  const fields = fieldsOf(msg, no);
  const last = fields[fields.length - 1];
  return last ? fieldInt(msg, last) : fallback;
}

export function submessages(msg: PbMessage, no: number): PbMessage[] {
  return fieldsOf(msg, no).map((f) => parseMessage(payload(msg, f)));
}

// ---- writing ----

/** Bytes of a varint; negative numbers as 64-bit two's complement (int64 semantics). */
export function encodeVarint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function tag(no: number, wire: WireType): Uint8Array {
  return encodeVarint(no * 8 + wire);
}

export function varintField(no: number, value: number | bigint): Uint8Array {
  return concatBytes([tag(no, 0), encodeVarint(value)]);
}

export function bytesField(no: number, value: Uint8Array): Uint8Array {
  return concatBytes([tag(no, 2), encodeVarint(value.length), value]);
}

export function stringField(no: number, value: string): Uint8Array {
  return bytesField(no, utf8Encoder.encode(value));
}

export function floatField(no: number, value: number): Uint8Array {
  const out = new Uint8Array(5);
  out.set(tag(no, 5));
  new DataView(out.buffer).setFloat32(1, value, true);
  return out;
}

/** A packed repeated int64 field (nothing when empty, as protobuf writes it). */
export function packedIntsField(no: number, values: readonly number[]): Uint8Array {
  if (values.length === 0) return new Uint8Array(0);
  return bytesField(no, concatBytes(values.map((v) => encodeVarint(v))));
}

/** A packed repeated float field. */
export function packedFloatsField(no: number, values: ArrayLike<number>): Uint8Array {
  if (values.length === 0) return new Uint8Array(0);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytesField(no, bytes);
}

/**
 * Re-emits `msg` with each field passed through `edit`: return undefined to keep the field's own
 * bytes, null to drop it, or the bytes (one or more encoded fields) that replace it. `append`
 * bytes go at the end.
 */
export function rewriteMessage(
  msg: PbMessage,
  edit: (field: PbField, index: number) => Uint8Array | null | undefined,
  append: readonly Uint8Array[] = [],
): Uint8Array {
  const parts: Uint8Array[] = [];
  msg.fields.forEach((field, i) => {
    const replaced = edit(field, i);
    if (replaced === undefined) parts.push(rawField(msg, field));
    else if (replaced !== null) parts.push(replaced);
  });
  parts.push(...append);
  return concatBytes(parts);
}
