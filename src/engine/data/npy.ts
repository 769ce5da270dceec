// The NumPy .npy array format, parsed by hand: a magic string, a Python-literal header dict, then
// the raw little-endian data. Object arrays (pickles) are refused: Quench never unpickles.
import { EngineFailure } from '../core/errors';

export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'i8' | 'u8' | 'f4' | 'f8' | 'b1';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The array's bytes (little-endian, C order), without the header. */
  data: Uint8Array;
}

const ITEM_BYTES: Record<NpyDtype, number> = { u1: 1, i1: 1, b1: 1, u2: 2, i2: 2, u4: 4, i4: 4, f4: 4, i8: 8, u8: 8, f8: 8 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** Parses the header of a .npy file; `file` names the file (or npz member) in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (!isNpy(bytes)) throw new EngineFailure('bad-data', 'not a NumPy .npy array (wrong magic)', file);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new EngineFailure('bad-data', 'the .npy header is truncated', file);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (bytes.length < start + headerLen) throw new EngineFailure('bad-data', 'the .npy header is truncated', file);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new EngineFailure('bad-data', `the .npy header is not understood: ${header.trim()}`, file);
  }
  if (descr.includes('O')) {
    throw new EngineFailure('unsupported', 'the array holds Python objects (a pickle); Quench never unpickles data. Save numeric arrays instead', file);
  }
  const match = /^([<>|=])([uifb])(\d+)$/.exec(descr);
  const dtype = match ? (`${match[2]}${match[3]}` as NpyDtype) : undefined;
  if (!match || !dtype || !(dtype in ITEM_BYTES)) throw new EngineFailure('unsupported', `array dtype ${descr} is not supported`, file);
  if (match[1] === '>' && ITEM_BYTES[dtype] > 1) throw new EngineFailure('unsupported', `big-endian array dtype ${descr} is not supported`, file);
  if (fortran === 'True') throw new EngineFailure('unsupported', 'Fortran-ordered arrays are not supported; save with np.ascontiguousarray', file);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new EngineFailure('bad-data', `bad array shape (${shapeText})`, file);
  const expected = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype];
  const data = bytes.subarray(start + headerLen);
  if (data.length !== expected) {
    const what = data.length < expected ? 'truncated' : 'longer than its header says';
    throw new EngineFailure('bad-data', `the array is ${what}: shape (${shape.join(', ')}) of ${descr} needs ${expected} bytes, found ${data.length}`, file);
  }
  return { dtype, shape, data };
}

/** Element `i` of `count` consecutive elements starting at element `first`, as numbers. */
export function readElements(array: NpyArray, first: number, count: number): Float64Array {
  const out = new Float64Array(count);
  const size = ITEM_BYTES[array.dtype];
  const view = new DataView(array.data.buffer, array.data.byteOffset + first * size, count * size);
  for (let i = 0; i < count; i++) {
    const o = i * size;
    switch (array.dtype) {
      case 'u1': case 'b1': out[i] = view.getUint8(o); break;
      case 'i1': out[i] = view.getInt8(o); break;
      case 'u2': out[i] = view.getUint16(o, true); break;
      case 'i2': out[i] = view.getInt16(o, true); break;
      case 'u4': out[i] = view.getUint32(o, true); break;
      case 'i4': out[i] = view.getInt32(o, true); break;
      case 'i8': out[i] = Number(view.getBigInt64(o, true)); break;
      case 'u8': out[i] = Number(view.getBigUint64(o, true)); break;
      case 'f4': out[i] = view.getFloat32(o, true); break;
      case 'f8': out[i] = view.getFloat64(o, true); break;
    }
  }
  return out;
}

export function itemBytes(dtype: NpyDtype): number {
  return ITEM_BYTES[dtype];
}
