// Frozen features at each unit's cut (a block's, on a chain), computed by one multi-output sub-model per batch (BatchNorm
// in inference mode), optionally average-pooled (METHOD.md §3 deviation for early large maps).
// Either cached as Float32Arrays when they fit a memory budget, or recomputed per pass.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { throwIfCancelled, type JobContext } from '../core/context';
import type { SfpUnit } from './graph';
import { ForwardPass } from '../infer/forwardPass';
import { shuffleInPlace } from '../core/random';

export interface FeatureSpec {
  /** The unit whose cut the features are read at. */
  block: SfpUnit;
  /** Average-pool window (stride = window, 'valid'), 'global' for a mean over positions, or none. */
  pool: number | 'global' | null;
  /** Feature map after pooling, [H, W, F] or [F]. */
  shape: number[];
  /** Values per sample: the readout's fan-in. */
  size: number;
}

/** Plans the pooling of a unit so that its map is at most maxSide × maxSide. */
export function featureSpec(block: SfpUnit, maxSide: number | null, global = false): FeatureSpec {
  if (block.kind === 'dense') return { block, pool: null, shape: [block.units], size: block.units };
  const [h, w, f] = block.cutShape;
  if (global) return { block, pool: 'global', shape: [1, 1, f], size: f };
  if (maxSide === null || (h <= maxSide && w <= maxSide)) return { block, pool: null, shape: [h, w, f], size: h * w * f };
  const k = Math.ceil(Math.max(h, w) / maxSide);
  const shape = [Math.floor(h / k), Math.floor(w / k), f];
  return { block, pool: k, shape, size: shape[0] * shape[1] * f };
}

export interface FeatureBatch {
  /** Per spec, [N, size] in NHWC flatten order (row p·F + f). */
  features: tf.Tensor2D[];
  labels: Int32Array;
  /** Dataset indices of the rows. */
  indices: Int32Array;
}

export class FeatureExtractor {
  private readonly pass: ForwardPass;

  /** Until prepare(), features come from the model itself, on this thread. */
  constructor(readonly model: tf.LayersModel, readonly specs: FeatureSpec[]) {
    this.pass = new ForwardPass(model, specs.map((s) => ({ layer: s.block.cut, pool: s.pool, size: s.size })));
  }

  /**
   * Speeds up the forward passes where possible: BatchNorm and ReLU folded into the convolutions
   * (plain Sequential models; never past a cut), and a helper thread when the backend and the
   * cores allow it (../infer).
   */
  prepare(ctx: JobContext): Promise<void> {
    return this.pass.prepare(ctx, { helper: true });
  }

  close(): Promise<void> {
    return this.pass.close();
  }

  /** Features of dataset[start, end) in order (or shuffled by the dataset), as Float32Arrays per spec. */
  async *rows(dataset: Dataset, start: number, end: number, ctx: JobContext, shuffleSeed?: number, batchSize = FEATURE_BATCH): AsyncGenerator<{ features: Float32Array[]; labels: Int32Array; offset: number }> {
    for await (const batch of this.pass.rows(dataset, { start, end, batchSize, shuffleSeed }, ctx)) {
      yield { features: batch.values, labels: batch.labels, offset: batch.offset };
    }
  }

  /** Bytes one sample's features take as float32. */
  bytesPerSample(): number {
    return this.specs.reduce((sum, s) => sum + s.size * 4, 0);
  }
}

/** Features kept in memory: per spec a [samples, size] table, with the labels. */
export interface FeatureTables {
  tables: Float32Array[];
  labels: Int32Array;
  /** Dataset index of row 0. */
  start: number;
}

/** A re-readable sequence of feature batches over a fixed sample range. */
export interface FeatureSource {
  samples: number;
  /** Present when the features are cached: callers may read rows directly. */
  cached?: FeatureTables;
  /**
   * Batches over all samples, or (cached sources only) over `rows`, positions within the source.
   * With a seed the order is shuffled.
   */
  batches(batchSize: number, shuffleSeed?: number, rows?: Int32Array): AsyncIterable<FeatureBatch>;
}

/**
 * Recomputes the features from the dataset on every pass (no memory beyond a batch). Shuffled
 * dataset batches do not say which samples they hold, so with `inOrder` (when callers select rows
 * by dataset index) the shuffle seed is ignored and the indices are exact.
 */
export function streamedFeatures(extractor: FeatureExtractor, dataset: Dataset, start: number, end: number, ctx: JobContext, inOrder = false): FeatureSource {
  return {
    samples: end - start,
    async *batches(batchSize, shuffleSeed, rows) {
      if (rows) throw new Error('A streamed feature source reads every sample; select rows by their dataset indices instead.');
      for await (const batch of extractor.rows(dataset, start, end, ctx, inOrder ? undefined : shuffleSeed, batchSize)) {
        const n = batch.labels.length;
        const features = extractor.specs.map((spec, i) => tf.tensor2d(batch.features[i], [n, spec.size]));
        const indices = Int32Array.from({ length: n }, (_, i) => start + batch.offset + i);
        yield { features, labels: batch.labels, indices };
      }
    },
  };
}

/** Computes the features once and keeps them as Float32Arrays; later passes only gather rows. */
export async function cachedFeatures(
  extractor: FeatureExtractor,
  dataset: Dataset,
  start: number,
  end: number,
  ctx: JobContext,
  onProgress: (done: number) => void,
): Promise<FeatureSource> {
  const samples = end - start;
  const specs = extractor.specs;
  const tables = specs.map((s) => new Float32Array(samples * s.size));
  const labels = new Int32Array(samples);
  let row = 0;
  for await (const batch of extractor.rows(dataset, start, end, ctx)) {
    batch.features.forEach((f, i) => tables[i].set(f, batch.offset * specs[i].size));
    labels.set(batch.labels, batch.offset);
    row += batch.labels.length;
    onProgress(row);
  }
  if (row !== samples) throw new Error(`${dataset.info.path}: expected ${samples} samples, read ${row}.`);
  return {
    samples,
    cached: { tables, labels, start },
    async *batches(batchSize, shuffleSeed, subset) {
      const order = subset ? Int32Array.from(subset) : Int32Array.from({ length: samples }, (_, i) => i);
      if (shuffleSeed !== undefined) shuffleInPlace(order, shuffleSeed);
      for (let b = 0; b < order.length; b += batchSize) {
        throwIfCancelled(ctx);
        const rows = order.subarray(b, Math.min(order.length, b + batchSize));
        const features = specs.map((s, i) => gatherRows(tables[i], s.size, rows));
        yield { features, labels: Int32Array.from(rows, (r) => labels[r]), indices: Int32Array.from(rows, (r) => start + r) };
      }
    },
  };
}

/** Samples per forward pass (METHOD.md §4: batch size 100). */
export const FEATURE_BATCH = 100;

function gatherRows(table: Float32Array, size: number, rows: Int32Array): tf.Tensor2D {
  const out = new Float32Array(rows.length * size);
  for (let i = 0; i < rows.length; i++) out.set(table.subarray(rows[i] * size, (rows[i] + 1) * size), i * size);
  return tf.tensor2d(out, [rows.length, size]);
}
