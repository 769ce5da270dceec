// BatchNorm re-estimation (METHOD.md §14): after masking, every BatchNorm layer's moving mean and
// variance describe activations the pruned network no longer produces. Forward passes on training
// data with every BatchNorm layer normalising by its batch statistics give the new statistics
// (the average of the per-batch means and variances, as PyTorch's update_bn does); no weight
// other than the moving statistics changes.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { throwIfCancelled, type JobContext } from '../core/context';
import { TrainingGraph } from './graph';

export interface RecalibrateOptions {
  /** Number of batches to average over (default 40). */
  batches?: number;
  /** Default 128. */
  batchSize?: number;
  /** Shuffle seed for picking the samples (default 0). */
  seed?: number;
}

/** Re-estimates the moving statistics of every BatchNorm layer in place; returns the layers changed. */
export async function recalibrateBatchNorm(
  model: tf.LayersModel,
  data: Dataset,
  ctx: JobContext,
  options: RecalibrateOptions = {},
): Promise<string[]> {
  const batches = options.batches ?? 40;
  const batchSize = options.batchSize ?? 128;
  const graph = new TrainingGraph(model, [], new Set());
  const bnLayers = graph.batchNormLayers();
  if (bnLayers.length === 0) {
    graph.dispose();
    return [];
  }
  const sums = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
  let seen = 0;
  try {
    for await (const batch of data.batches({ batchSize, shuffleSeed: options.seed ?? 0, end: Math.min(data.size, batches * batchSize) })) {
      throwIfCancelled(ctx);
      if (batch.x.shape[0] < 2) {
        batch.x.dispose();
        continue;
      }
      const moments = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
      tf.tidy(() => {
        graph.forward(batch.x, { training: false, allBatchNormFromBatch: true, batchStats: moments });
      });
      batch.x.dispose();
      for (const [layer, m] of moments) {
        const total = sums.get(layer);
        if (total) {
          const next = { mean: tf.add(total.mean, m.mean), variance: tf.add(total.variance, m.variance) };
          tf.dispose([total.mean, total.variance, m.mean, m.variance]);
          sums.set(layer, next);
        } else {
          sums.set(layer, m);
        }
      }
      seen++;
      ctx.progress({ stage: 'recalibrate-bn', step: seen, steps: batches, fraction: seen / batches });
      if (seen >= batches) break;
    }
    for (const [layer, total] of sums) graph.setMovingStats(layer, tf.div(total.mean, seen), tf.div(total.variance, seen));
    throwIfCancelled(ctx);
    graph.writeBack();
  } finally {
    for (const total of sums.values()) tf.dispose([total.mean, total.variance]);
    graph.dispose();
  }
  return bnLayers;
}
