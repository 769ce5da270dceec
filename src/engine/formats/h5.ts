// Thin helpers over h5wasm (ESM, loaded on first use): open a file, read string attributes the
// way h5py/Keras write them (fixed or variable length, optionally chunked), write float32 datasets.
import { promises as fs } from 'node:fs';
import type * as H5 from 'h5wasm';
import { EngineFailure } from '../core/errors';

type H5Module = typeof import('h5wasm');
let loaded: Promise<H5Module> | undefined;

export function h5(): Promise<H5Module> {
  loaded ??= import('h5wasm/node').then(async (lib) => {
    await lib.ready;
    return lib as unknown as H5Module;
  });
  return loaded;
}

/**
 * The file length the HDF5 superblock declares (its end-of-file address), or null when the head
 * holds no superblock this can read. A shorter file is truncated; saying so beats HDF5's errors.
 */
export function hdf5DeclaredLength(head: Uint8Array): number | null {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const at = [0, 512, 1024, 2048].find((o) => signature.every((b, i) => head[o + i] === b));
  if (at === undefined) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = head[at + 8];
  // Offsets of base address and end-of-file address per superblock version (8-byte addresses only).
  const fields = version === 0 ? [24, 40] : version === 1 ? [28, 44] : version === 2 || version === 3 ? [12, 28] : null;
  const offsetSize = version === 0 || version === 1 ? head[at + 13] : head[at + 9];
  if (!fields || offsetSize !== 8 || head.byteLength < at + fields[1]! + 8) return null;
  const base = view.getBigUint64(at + fields[0]!, true);
  const end = view.getBigUint64(at + fields[1]!, true);
  if (end === 0xffffffffffffffffn || base === 0xffffffffffffffffn) return null;
  return Number(base + end);
}

/** Opens `file` read-only for `read`, and always closes it. Non-HDF5 input → EngineFailure. */
export async function readH5<T>(file: string, read: (h5file: H5.File) => Promise<T>): Promise<T> {
  const lib = await h5();
  const handle = await fs.open(file, 'r').catch((error: Error) => {
    throw new EngineFailure('io', `cannot read the file: ${error.message}`, file);
  });
  try {
    const head = new Uint8Array(2048 + 64);
    const { bytesRead } = await handle.read(head, 0, head.byteLength, 0);
    const declared = hdf5DeclaredLength(head.subarray(0, bytesRead));
    const { size } = await handle.stat();
    if (declared !== null && size < declared) {
      throw new EngineFailure('bad-model', `the HDF5 file is truncated: its superblock says ${declared} bytes, the file has ${size}`, file);
    }
  } finally {
    await handle.close();
  }
  let h5file: H5.File;
  try {
    h5file = new lib.File(file, 'r');
  } catch (error) {
    throw new EngineFailure('bad-model', `is not a readable HDF5 file (${(error as Error).message})`, file);
  }
  // h5wasm does not throw when HDF5 cannot open a file: it hands back a negative id.
  if (h5file.file_id < 0n) throw new EngineFailure('bad-model', 'is not a readable HDF5 file (corrupt, or not HDF5)', file);
  try {
    return await read(h5file);
  } catch (error) {
    if (error instanceof EngineFailure) throw error;
    // h5wasm reports damaged objects with bare messages ("name not defined"); name the file.
    throw new EngineFailure('bad-model', `the HDF5 file is damaged: ${(error as Error)?.message ?? String(error)}`, file);
  } finally {
    try {
      h5file.close();
    } catch {
      // A damaged file can fail to close; HDF5 has released what it could.
    }
  }
}

function asText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value).replace(/\0+$/, '');
  return null;
}

export function stringAttr(entity: H5.Group, name: string): string | null {
  const attr = entity.attrs[name];
  if (!attr) return null;
  const value = attr.value;
  return Array.isArray(value) ? asText(value[0]) : asText(value);
}

/** A list attribute; Keras splits long ones into `<name>0`, `<name>1`, ... */
export function stringList(entity: H5.Group, name: string): string[] {
  const read = (attrName: string): string[] => {
    const value = entity.attrs[attrName]?.value;
    if (value === undefined || value === null) return [];
    const items = Array.isArray(value) || ArrayBuffer.isView(value) ? Array.from(value as ArrayLike<unknown>) : [value];
    return items.map(asText).filter((s): s is string => s !== null);
  };
  if (entity.attrs[name]) return read(name);
  const chunks: string[] = [];
  for (let i = 0; entity.attrs[`${name}${i}`]; i++) chunks.push(...read(`${name}${i}`));
  return chunks;
}

/** Writes a float32 dataset at a path that may contain '/', creating the groups on the way. */
export function writeDataset(group: H5.Group, name: string, values: Float32Array, shape: number[]): void {
  const parts = name.split('/');
  let parent = group;
  for (const part of parts.slice(0, -1)) {
    const existing = parent.get(part) as H5.Group | null;
    parent = existing && existing.type === 'Group' ? existing : parent.create_group(part);
  }
  parent.create_dataset({ name: parts[parts.length - 1]!, data: values, shape, dtype: '<f4' });
}
