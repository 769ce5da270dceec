// Model totals: parameters, zeros, MACs over all layers, and the size of the model's files on
// disk, raw and gzipped (zlib, level 6: what `gzip` does by default).
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type * as tf from '@tensorflow/tfjs';
import type { LayerStats, ModelTotals } from '../../protocol/report';
import { EngineFailure } from '../core/errors';
import { layerStats } from './layers';

export interface FileSizes {
  bytes: number;
  /** Sum of each file gzipped on its own, as a server would send it. */
  gzipBytes: number;
}

export async function fileSizes(files: string[]): Promise<FileSizes> {
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (error) {
      throw new EngineFailure('io', `cannot read the file: ${(error as Error).message}`, file);
    }
    bytes += data.byteLength;
    gzipBytes += gzipSync(data, { level: 6 }).byteLength;
  }
  return { bytes, gzipBytes };
}

/** Totals over `layers` (computed from the model when not given) plus the files' sizes. */
export async function modelTotals(model: tf.LayersModel, files: string[], layers?: LayerStats[]): Promise<ModelTotals> {
  const perLayer = layers ?? layerStats(model);
  const params = perLayer.reduce((sum, l) => sum + l.params, 0);
  const zeros = perLayer.reduce((sum, l) => sum + l.zeros, 0);
  const macs = perLayer.reduce((sum, l) => sum + l.macs, 0);
  const sizes = await fileSizes(files);
  return { params, zeros, sparsity: params === 0 ? 0 : zeros / params, macs, ...sizes };
}
