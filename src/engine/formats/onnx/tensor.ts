// TensorProto values: float32 / float64 / float16 weights and int64 / int32 shape constants, from
// raw_data, the typed repeated fields, or external data files beside the model (locations that
// leave the model's folder are refused, never read). And the inverse: a tensor with new values.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EngineFailure } from '../../core/errors';
import { DATA_TYPE_NAMES, DataType, F, type OnnxTensor } from './proto';
import {
  bytesField,
  concatBytes,
  fieldInt,
  fieldsOf,
  firstField,
  payload,
  repeatedDoubles,
  repeatedFloats,
  repeatedInts,
  rewriteMessage,
  stringOf,
  submessages,
  varintField,
  type PbMessage,
} from './protobuf';

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

const ELEMENT_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.INT64]: 8,
  [DataType.INT32]: 4,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
};

function typeName(dataType: number): string {
  return DATA_TYPE_NAMES[dataType] ?? `data type ${dataType}`;
}

export function isExternal(tensor: OnnxTensor): boolean {
  return intOf1(tensor.msg, F.tensor.dataLocation) === 1;
}

function intOf1(msg: PbMessage, no: number): number {
  const field = fieldsOf(msg, no).pop();
  return field ? fieldInt(msg, field) : 0;
}

/** Where external tensors are read from; refuses a location outside the model's folder. */
export class ExternalData {
  private readonly files = new Map<string, Uint8Array>();
  /** Every external file read, absolute (part of the model's files). */
  readonly paths = new Set<string>();

  constructor(
    private readonly modelFile: string,
    private readonly realDir: string,
  ) {}

  static async for(modelFile: string): Promise<ExternalData> {
    const dir = path.dirname(path.resolve(modelFile));
    return new ExternalData(modelFile, await fs.realpath(dir).catch(() => dir));
  }

  /** The bytes [offset, offset + length) of `location`, after checking it stays in the model's folder. */
  async read(location: string, offset: number, length: number | undefined, tensorName: string): Promise<Uint8Array> {
    const file = await this.resolve(location, tensorName);
    let bytes = this.files.get(file);
    if (!bytes) {
      bytes = new Uint8Array(await fs.readFile(file));
      this.files.set(file, bytes);
      this.paths.add(file);
    }
    const end = length === undefined ? bytes.length : offset + length;
    if (offset < 0 || end > bytes.length) {
      throw new EngineFailure('bad-model', `initializer "${tensorName}" reads bytes ${offset}..${end} of ${location}, which has ${bytes.length}`, this.modelFile);
    }
    return bytes.subarray(offset, end);
  }

  private async resolve(location: string, tensorName: string): Promise<string> {
    const refuse = (why: string): never => {
      throw new EngineFailure('bad-model', `initializer "${tensorName}" keeps its data in "${location}", ${why}; it was not read`, this.modelFile);
    };
    if (!location) refuse('an empty location');
    if (path.isAbsolute(location) || path.win32.isAbsolute(location) || location.startsWith('/') || location.startsWith('\\')) refuse('an absolute path outside the model\'s folder');
    if (location.split(/[\\/]/).includes('..')) refuse('a path that leaves the model\'s folder');
    const dir = path.dirname(path.resolve(this.modelFile));
    const file = path.resolve(dir, location);
    let real: string;
    try {
      real = await fs.realpath(file);
    } catch {
      return refuse('a file that does not exist beside the model');
    }
    const inside = real === this.realDir || real.startsWith(this.realDir + path.sep);
    if (!inside) refuse('a link to a file outside the model\'s folder');
    const stat = await fs.stat(real);
    if (!stat.isFile()) refuse('not a file');
    return real;
  }
}

/** The tensor's stored bytes in raw_data layout (little-endian), wherever they are kept. */
export async function rawBytes(tensor: OnnxTensor, external: ExternalData): Promise<Uint8Array | null> {
  if (isExternal(tensor)) {
    const entries = submessages(tensor.msg, F.tensor.externalData).map((e) => [stringOf(e, 1), stringOf(e, 2)] as const);
    const get = (key: string): string | undefined => entries.find(([k]) => k === key)?.[1];
    const location = get('location') ?? '';
    const offset = Number(get('offset') ?? 0);
    const lengthText = get('length');
    const length = lengthText === undefined ? undefined : Number(lengthText);
    if (!Number.isSafeInteger(offset) || (length !== undefined && !Number.isSafeInteger(length))) {
      throw new EngineFailure('bad-model', `initializer "${tensor.name}" has an invalid external offset or length`);
    }
    return external.read(location, offset, length, tensor.name);
  }
  const raw = firstField(tensor.msg, F.tensor.rawData);
  return raw ? payload(tensor.msg, raw) : null;
}

function checkCount(tensor: OnnxTensor, count: number, file: string): void {
  const expected = elementCount(tensor.dims);
  if (count !== expected) {
    throw new EngineFailure(
      'bad-model',
      `initializer "${tensor.name}" holds ${count} values but its shape [${tensor.dims.join(', ')}] needs ${expected}`,
      file,
    );
  }
}

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A floating-point tensor's values as float32. */
export async function floatValues(tensor: OnnxTensor, external: ExternalData, file: string): Promise<Float32Array> {
  if (tensor.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new EngineFailure('bad-model', `initializer "${tensor.name}" has an invalid shape [${tensor.dims.join(', ')}]`, file);
  }
  const raw = await rawBytes(tensor, external);
  let values: Float32Array;
  if (raw) {
    const size = ELEMENT_BYTES[tensor.dataType];
    const expected = elementCount(tensor.dims) * (size ?? 0);
    if (size === undefined || ![DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16].includes(tensor.dataType as 1)) {
      throw new EngineFailure('unsupported', `initializer "${tensor.name}" is ${typeName(tensor.dataType)}; Quench reads float32, float64 and float16 weights`, file);
    }
    if (raw.length !== expected) {
      throw new EngineFailure('bad-model', `initializer "${tensor.name}" holds ${raw.length} bytes but its shape [${tensor.dims.join(', ')}] of ${typeName(tensor.dataType)} needs ${expected}`, file);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const n = elementCount(tensor.dims);
    values = new Float32Array(n);
    if (tensor.dataType === DataType.FLOAT) for (let i = 0; i < n; i++) values[i] = view.getFloat32(i * 4, true);
    else if (tensor.dataType === DataType.DOUBLE) for (let i = 0; i < n; i++) values[i] = view.getFloat64(i * 8, true);
    else for (let i = 0; i < n; i++) values[i] = float16ToFloat32(view.getUint16(i * 2, true));
    return values;
  }
  if (tensor.dataType === DataType.FLOAT) values = Float32Array.from(repeatedFloats(tensor.msg, F.tensor.floatData));
  else if (tensor.dataType === DataType.DOUBLE) values = Float32Array.from(repeatedDoubles(tensor.msg, F.tensor.doubleData));
  else if (tensor.dataType === DataType.FLOAT16) values = Float32Array.from(repeatedInts(tensor.msg, F.tensor.int32Data), (b) => float16ToFloat32(b & 0xffff));
  else throw new EngineFailure('unsupported', `initializer "${tensor.name}" is ${typeName(tensor.dataType)}; Quench reads float32, float64 and float16 weights`, file);
  checkCount(tensor, values.length, file);
  return values;
}

/** An integer tensor's values (shape constants, axes, pads); float tensors are accepted too. */
export async function intValues(tensor: OnnxTensor, external: ExternalData, file: string): Promise<number[]> {
  if ([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16].includes(tensor.dataType as 1)) return Array.from(await floatValues(tensor, external, file));
  const raw = await rawBytes(tensor, external);
  let values: number[];
  if (raw) {
    const size = ELEMENT_BYTES[tensor.dataType];
    if (size === undefined || tensor.dataType === DataType.DOUBLE) throw new EngineFailure('unsupported', `constant "${tensor.name}" is ${typeName(tensor.dataType)}`, file);
    if (raw.length !== elementCount(tensor.dims) * size) {
      throw new EngineFailure('bad-model', `constant "${tensor.name}" holds ${raw.length} bytes but its shape [${tensor.dims.join(', ')}] needs ${elementCount(tensor.dims) * size}`, file);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    values = Array.from({ length: elementCount(tensor.dims) }, (_, i) =>
      size === 8 ? Number(view.getBigInt64(i * 8, true)) : size === 4 ? view.getInt32(i * 4, true) : tensor.dataType === DataType.INT8 ? view.getInt8(i) : view.getUint8(i),
    );
  } else if (tensor.dataType === DataType.INT64) values = repeatedInts(tensor.msg, F.tensor.int64Data);
  else values = repeatedInts(tensor.msg, F.tensor.int32Data);
  checkCount(tensor, values.length, file);
  return values;
}

const DATA_FIELDS = new Set<number>([F.tensor.floatData, F.tensor.int32Data, F.tensor.int64Data, F.tensor.rawData, F.tensor.doubleData, F.tensor.uint64Data, F.tensor.externalData, F.tensor.dataLocation, F.tensor.dims, F.tensor.dataType]);

/**
 * The TensorProto `tensor` with new float32 values and dims: every other field (name, doc string,
 * unknown fields) is kept in place; the data goes into raw_data (external data is embedded).
 */
export function withFloatValues(tensor: OnnxTensor, dims: readonly number[], values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  const head = [...dims.map((d) => varintField(F.tensor.dims, d)), varintField(F.tensor.dataType, DataType.FLOAT)];
  const hasHead = tensor.msg.fields.some((f) => f.no === F.tensor.dims || f.no === F.tensor.dataType);
  let placed = false;
  // The new dims and data type go where the old ones were; the data goes last.
  return rewriteMessage(
    tensor.msg,
    (field) => {
      if (!DATA_FIELDS.has(field.no)) return undefined;
      if ((field.no === F.tensor.dims || field.no === F.tensor.dataType) && !placed) {
        placed = true;
        return concatBytes(head);
      }
      return null;
    },
    [...(hasHead ? [] : head), bytesField(F.tensor.rawData, raw)],
  );
}

/** An int64 tensor with new values (shape constants), other fields kept. */
export function withInt64Values(tensor: OnnxTensor, values: readonly number[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return rewriteMessage(tensor.msg, (field) => {
    if (field.no === F.tensor.int64Data || field.no === F.tensor.rawData || field.no === F.tensor.int32Data) return null;
    return undefined;
  }, [bytesField(F.tensor.rawData, raw)]);
}


/** The tensor with its external data read into raw_data (a written model is self-contained). */
export async function embedded(tensor: OnnxTensor, external: ExternalData): Promise<Uint8Array> {
  const raw = (await rawBytes(tensor, external)) ?? new Uint8Array(0);
  return rewriteMessage(
    tensor.msg,
    (field) => (field.no === F.tensor.externalData || field.no === F.tensor.dataLocation ? null : undefined),
    [bytesField(F.tensor.rawData, raw)],
  );
}
