// The on-disk TF.js layers format (model.json + weight shards), kept apart from the runtime model:
// parsing and validating model.json, and reading the shards the manifest lists.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';

/** The shard size the tfjs converter and tfjs-layers use (4 MiB). */
export const SHARD_BYTES = 4 * 1024 * 1024;

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: tf.io.WeightsManifestConfig;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes one manifest entry occupies in its shard, with tfjs's quantized dtypes. */
export function entryBytes(entry: tf.io.WeightsManifestEntry, file: string): number {
  const storedDtype = entry.quantization?.dtype ?? entry.dtype;
  const width = BYTES_PER_ELEMENT[storedDtype];
  if (width === undefined) {
    throw new EngineFailure('unsupported', `weight "${entry.name}" has dtype ${storedDtype}, which Quench cannot read`, file);
  }
  const count = entry.shape.reduce((a, b) => a * b, 1);
  return count * width;
}

/** Parses and checks model.json; throws EngineFailure naming the file for anything off. */
export async function readModelJson(file: string): Promise<TfjsModelJson> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new EngineFailure('io', `cannot read the file: ${(error as Error).message}`, file);
  }
  let json: Partial<TfjsModelJson>;
  try {
    json = JSON.parse(text) as Partial<TfjsModelJson>;
  } catch (error) {
    throw new EngineFailure('bad-model', `is not valid JSON: ${(error as Error).message}`, file);
  }
  if (json === null || typeof json !== 'object') throw new EngineFailure('bad-model', 'is not a TF.js model.json', file);
  if (json.format === 'graph-model') {
    throw new EngineFailure('unsupported', 'is a TF.js graph model; Quench reads layers models (tf.LayersModel) only', file);
  }
  if (!json.modelTopology || typeof json.modelTopology !== 'object') {
    throw new EngineFailure('bad-model', 'has no modelTopology, so it is not a TF.js layers model', file);
  }
  if (!Array.isArray(json.weightsManifest)) {
    throw new EngineFailure('bad-model', 'has no weightsManifest (weights are required)', file);
  }
  for (const [g, group] of json.weightsManifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new EngineFailure('bad-model', `weightsManifest group ${g + 1} lacks "paths" or "weights"`, file);
    }
    for (const shard of group.paths) {
      // '..' would let a model.json read any file on the disk as its weights.
      if (typeof shard !== 'string' || /^[a-z]+:\/\//i.test(shard) || path.isAbsolute(shard) || shard.split(/[\\/]/).includes('..')) {
        throw new EngineFailure('unsupported', `weight shard path ${JSON.stringify(shard)} is not a relative file path inside the model's folder`, file);
      }
    }
  }
  return json as TfjsModelJson;
}

/** Absolute paths of every shard the manifest lists, in order. */
export function shardPaths(modelJsonPath: string, json: TfjsModelJson): string[] {
  const dir = path.dirname(modelJsonPath);
  return json.weightsManifest.flatMap((group) => group.paths.map((p) => path.resolve(dir, p)));
}

/**
 * Reads every group's shards and checks their byte counts against the manifest: a missing shard,
 * a truncated one or a manifest that does not add up is reported with the file it concerns.
 */
export async function readWeightShards(
  modelJsonPath: string,
  json: TfjsModelJson,
): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const dir = path.dirname(modelJsonPath);
  const buffers: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const [g, group] of json.weightsManifest.entries()) {
    const expected = group.weights.reduce((sum, entry) => sum + entryBytes(entry, modelJsonPath), 0);
    let actual = 0;
    let lastShard = modelJsonPath;
    for (const relative of group.paths) {
      const shard = path.resolve(dir, relative);
      lastShard = shard;
      let bytes: Uint8Array;
      try {
        bytes = await fs.readFile(shard);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'is missing' : `cannot be read (${(error as Error).message})`;
        throw new EngineFailure('bad-model', `weight shard ${relative} listed in ${path.basename(modelJsonPath)} ${why}`, shard);
      }
      buffers.push(bytes);
      actual += bytes.byteLength;
    }
    if (actual < expected) {
      throw new EngineFailure(
        'bad-model',
        `weight shards of group ${g + 1} hold ${actual} bytes but the manifest needs ${expected}: the shard is truncated`,
        lastShard,
      );
    }
    if (actual > expected) {
      throw new EngineFailure(
        'bad-model',
        `the manifest of ${path.basename(modelJsonPath)} describes ${expected} bytes for group ${g + 1} but its shards hold ${actual}: byte counts do not match`,
        lastShard,
      );
    }
    specs.push(...group.weights);
  }
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    data.set(b, offset);
    offset += b.byteLength;
  }
  return { specs, data: data.buffer };
}

/** Splits weight bytes into tfjs-style shards: `<prefix>group1-shard<i>of<n>.bin`. */
export function splitIntoShards(data: Uint8Array, prefix: string): { name: string; bytes: Uint8Array }[] {
  const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  const shards: { name: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    shards.push({
      name: `${prefix}group1-shard${i + 1}of${count}.bin`,
      bytes: data.subarray(i * SHARD_BYTES, Math.min(data.byteLength, (i + 1) * SHARD_BYTES)),
    });
  }
  return shards;
}
