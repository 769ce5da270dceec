// Thin helpers over h5wasm (ESM, loaded on first use): open a file, read string attributes the
// way h5py/Keras write them (fixed or variable length, optionally chunked), write float32 datasets.
import type * as H5 from 'h5wasm';
import { EngineFailure } from '../jobs/context';

type H5Module = typeof import('h5wasm');
let loaded: Promise<H5Module> | undefined;

export function h5(): Promise<H5Module> {
  loaded ??= import('h5wasm/node').then(async (lib) => {
    await lib.ready;
    return lib as unknown as H5Module;
  });
  return loaded;
}

/** Opens `file` read-only for `read`, and always closes it. Non-HDF5 input → EngineFailure. */
export async function readH5<T>(file: string, read: (h5file: H5.File) => Promise<T>): Promise<T> {
  const lib = await h5();
  let h5file: H5.File;
  try {
    h5file = new lib.File(file, 'r');
  } catch (error) {
    throw new EngineFailure('bad-model', `is not a readable HDF5 file (${(error as Error).message})`, file);
  }
  try {
    return await read(h5file);
  } finally {
    h5file.close();
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
