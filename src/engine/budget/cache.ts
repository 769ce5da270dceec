// The sensitivity scan's cache: curves keyed by everything that decides them (model and data
// bytes, the split, the method and its settings, the ladder, the layers, where BatchNorm was
// re-estimated, the engine version) and nothing else, so a second run of the same search is
// instant and any change that would change a curve misses. Files live beside the model, in
// `.quench/cache/sensitivity/` of its folder (the folder Quench already keeps its runs in).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PruneMethod } from '../../protocol/report';
import { writeFilesAtomically } from '../formats/atomic';

export interface CacheKeyParts {
  engineVersion: string;
  modelSha256: string;
  dataSha256: string;
  /** Samples of the evaluation data used (after --limit). */
  samples: number;
  split: { seed: number; heldOut: number; calibration: number };
  method: PruneMethod;
  ladder: number[];
  layers: string[];
  /** Where BatchNorm was re-estimated before each measurement: training data's sha256, 'calibration' or 'none'. */
  batchNorm: string;
  /** Settings of the method that change its masks (AFCC: readout epochs and seed). */
  methodSettings: Record<string, number | string>;
}

/** sha256 of the parts in a fixed order. */
export function cacheKey(parts: CacheKeyParts): string {
  const canonical = JSON.stringify([
    parts.engineVersion, parts.modelSha256, parts.dataSha256, parts.samples,
    [parts.split.seed, parts.split.heldOut, parts.split.calibration],
    parts.method, parts.ladder, parts.layers, parts.batchNorm,
    Object.entries(parts.methodSettings).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function cacheFolder(modelPath: string): string {
  return path.join(path.dirname(path.resolve(modelPath)), '.quench', 'cache', 'sensitivity');
}

/** What a cache file holds: top-1 on the calibration data per layer and ladder point. */
export interface CachedScan {
  key: string;
  baseline: number;
  curves: { layer: string; points: { sparsity: number; top1: number }[] }[];
}

export async function readCache(folder: string, key: string): Promise<CachedScan | null> {
  try {
    const cached = JSON.parse(await fs.readFile(path.join(folder, `${key}.json`), 'utf8')) as CachedScan;
    return cached.key === key && Array.isArray(cached.curves) ? cached : null;
  } catch {
    return null;
  }
}

/** Writes the scan atomically; returns the file, or null when the folder cannot be written (a read-only model folder). */
export async function writeCache(folder: string, scan: CachedScan, protectedFiles: string[]): Promise<string | null> {
  try {
    await fs.mkdir(folder, { recursive: true });
    const [file] = await writeFilesAtomically([{ path: path.join(folder, `${scan.key}.json`), data: Buffer.from(JSON.stringify(scan)) }], protectedFiles);
    return file ?? null;
  } catch {
    return null;
  }
}
