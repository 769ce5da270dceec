// The optional `<name>.dataset.json` beside the data (or `dataset.json` in its folder): says what
// inference cannot (scale, mean/std, layout, class names, a default limit, the split, the resize method).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PreprocessingInfo } from '../../protocol/report';
import { EngineFailure } from '../core/errors';
import { exists } from './files';

export interface DatasetDescriptor {
  file: string;
  scale?: PreprocessingInfo['scale'];
  mean?: number[];
  std?: number[];
  layout?: 'NHWC' | 'NCHW';
  /** Class names by label index (`"labels"` or `"classNames"` in the file). */
  labels?: string[];
  limit?: number;
  split?: string;
  resize?: 'bilinear' | 'nearest';
}

const SCALES = ['0..1', '-1..1', 'none'];

/**
 * Candidate descriptor files for a dataset path, most specific first: `<name>.dataset.json` beside
 * it, then the folder's `dataset.json` (inside a dataset folder; beside a dataset file, so one
 * descriptor serves both the test and the training files of a folder).
 */
export function descriptorCandidates(dataPath: string, isFolder: boolean): string[] {
  const dir = path.dirname(dataPath);
  let base = path.basename(dataPath);
  const names: string[] = [];
  // t10k-images-idx3-ubyte.gz -> t10k-images-idx3-ubyte -> t10k-images-idx3 ... and the IDX prefix.
  while (base) {
    names.push(base);
    const idx = base.search(/[-_.](images|labels)[-_.]idx\d/i);
    if (idx > 0) names.push(base.slice(0, idx));
    const dot = base.lastIndexOf('.');
    if (dot <= 0) break;
    base = base.slice(0, dot);
  }
  const found = [...new Set(names)].map((n) => path.join(dir, `${n}.dataset.json`));
  found.push(folderDescriptorPath(dataPath, isFolder));
  return found;
}

/**
 * The folder's `dataset.json`: inside a dataset folder, beside a dataset file. Where a setting goes
 * when no descriptor applies yet (beside a file, the training split next to it reads it too).
 */
export function folderDescriptorPath(dataPath: string, isFolder: boolean): string {
  return path.join(isFolder ? dataPath : path.dirname(dataPath), 'dataset.json');
}

export async function findDescriptor(dataPath: string, isFolder: boolean): Promise<DatasetDescriptor | undefined> {
  for (const candidate of descriptorCandidates(dataPath, isFolder)) {
    if (await exists(candidate)) return readDescriptor(candidate);
  }
  return undefined;
}

export async function readDescriptor(file: string): Promise<DatasetDescriptor> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new EngineFailure('bad-data', `the dataset descriptor is not valid JSON (${(error as Error).message})`, file);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EngineFailure('bad-data', 'the dataset descriptor must be a JSON object', file);
  }
  const o = raw as Record<string, unknown>;
  const fail = (message: string): never => {
    throw new EngineFailure('bad-data', `dataset descriptor: ${message}`, file);
  };
  const d: DatasetDescriptor = { file };
  if (o['scale'] !== undefined) {
    if (!SCALES.includes(o['scale'] as string)) fail(`"scale" must be one of ${SCALES.join(', ')}`);
    d.scale = o['scale'] as DatasetDescriptor['scale'];
  }
  for (const key of ['mean', 'std'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    const list = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(`"${key}" must be a number or a list of numbers (one per channel)`);
    }
    if (key === 'std' && (list as number[]).some((x) => x === 0)) fail('"std" must not contain 0');
    d[key] = list as number[];
  }
  if (o['layout'] !== undefined) {
    if (o['layout'] !== 'NHWC' && o['layout'] !== 'NCHW') fail('"layout" must be "NHWC" or "NCHW"');
    d.layout = o['layout'] as 'NHWC' | 'NCHW';
  }
  if (o['labels'] !== undefined && o['classNames'] !== undefined) fail('give the class names once, as "labels" or as "classNames"');
  const namesKey = o['classNames'] !== undefined ? 'classNames' : 'labels';
  const names = o[namesKey];
  if (names !== undefined) {
    if (!Array.isArray(names) || names.length === 0 || !names.every((x) => typeof x === 'string' && x.trim() !== '')) {
      fail(`"${namesKey}" must be a list of class names (non-empty strings, one per label index)`);
    }
    d.labels = names as string[];
  }
  if (o['limit'] !== undefined) {
    if (!Number.isInteger(o['limit']) || (o['limit'] as number) < 1) fail('"limit" must be a positive integer');
    d.limit = o['limit'] as number;
  }
  if (o['split'] !== undefined) {
    if (typeof o['split'] !== 'string' || !o['split']) fail('"split" must be a non-empty string');
    d.split = o['split'] as string;
  }
  if (o['resize'] !== undefined) {
    if (o['resize'] !== 'bilinear' && o['resize'] !== 'nearest') fail('"resize" must be "bilinear" or "nearest"');
    d.resize = o['resize'] as 'bilinear' | 'nearest';
  }
  return d;
}

/**
 * Merges `values` into the descriptor `file` (every other key kept, in its order; new keys last),
 * creating it when absent, and re-reads it. An existing file that is not a valid descriptor is
 * refused before anything is written; the write goes to a temporary sibling renamed into place.
 */
export async function updateDescriptor(file: string, values: Record<string, unknown>): Promise<DatasetDescriptor> {
  let current: Record<string, unknown> = {};
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new EngineFailure('io', `cannot read the dataset descriptor: ${error.message}`, file);
  });
  if (text !== undefined) {
    await readDescriptor(file);
    current = JSON.parse(text) as Record<string, unknown>;
  }
  const merged = { ...current, ...values };
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, `${JSON.stringify(merged, null, 2)}\n`);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new EngineFailure('io', `could not write the dataset descriptor: ${(error as Error).message}`, file);
  }
  return readDescriptor(file);
}
