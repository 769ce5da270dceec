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
  const average = new MomentAverage();
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
      average.add(moments);
      ctx.progress({ stage: 'recalibrate-bn', step: average.batches, steps: batches, fraction: average.batches / batches });
      if (average.batches >= batches) break;
    }
    average.setInto(graph);
    throwIfCancelled(ctx);
    graph.writeBack();
  } finally {
    average.dispose();
    graph.dispose();
  }
  return bnLayers;
}

/**
 * The running sum of per-batch BatchNorm moments, layer by layer; `setInto` makes their average
 * each layer's moving statistics. Takes ownership of the tensors it is given.
 */
export class MomentAverage {
  private readonly sums = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
  batches = 0;

  add(moments: Map<string, { mean: tf.Tensor; variance: tf.Tensor }>): void {
    for (const [layer, m] of moments) {
      const total = this.sums.get(layer);
      if (total) {
        const next = { mean: tf.add(total.mean, m.mean), variance: tf.add(total.variance, m.variance) };
        tf.dispose([total.mean, total.variance, m.mean, m.variance]);
        this.sums.set(layer, next);
      } else {
        this.sums.set(layer, m);
      }
    }
    this.batches++;
  }

  /** The layers measured, averaged into the graph's moving statistics; nothing when no batch was added. */
  setInto(graph: TrainingGraph): string[] {
    if (this.batches === 0) return [];
    for (const [layer, total] of this.sums) graph.setMovingStats(layer, tf.div(total.mean, this.batches), tf.div(total.variance, this.batches));
    return [...this.sums.keys()];
  }

  dispose(): void {
    for (const total of this.sums.values()) tf.dispose([total.mean, total.variance]);
    this.sums.clear();
  }
}
