// Where training batches come from. The layers below the first trained one never change during
// fine-tuning, so when no augmentation is asked for and the activations fit the memory budget,
// they are computed once per sample and replayed from memory every epoch; otherwise each epoch
// streams the dataset through the frozen prefix again.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import type { JobContext } from '../core/context';
import { throwIfCancelled } from '../core/context';
import type { TrainingGraph } from './graph';
import { permutation, seededRandom, type ResolvedOptions } from './options';

export interface TrainBatch {
  /** Activations entering the first trained step. Caller disposes. */
  x: tf.Tensor;
  /** One-hot labels. Caller disposes. */
  y: tf.Tensor2D;
  size: number;
}

export interface BatchSource {
  cached: boolean;
  /** One shuffled pass; `plain` leaves augmentation out (for measuring statistics). */
  epoch(epoch: number, plain?: boolean): AsyncIterable<TrainBatch>;
  dispose(): void;
}

/** Random horizontal flips and shifts (whole pixels, zero fill), per sample. */
function augment(x: tf.Tensor4D, options: ResolvedOptions['augment'], random: () => number): tf.Tensor4D {
  return tf.tidy(() => {
    let out = x;
    const n = x.shape[0];
    if (options.flip) {
      const flip = tf.tensor(Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0)), [n, 1, 1, 1], 'bool');
      out = tf.where(flip, tf.reverse(out, 2), out);
    }
    if (options.shift > 0) {
      const s = options.shift;
      const [, h, w] = x.shape;
      const padded = tf.pad(out, [[0, 0], [s, s], [s, s], [0, 0]]);
      const boxes: number[][] = [];
      for (let i = 0; i < n; i++) {
        const dy = Math.floor(random() * (2 * s + 1));
        const dx = Math.floor(random() * (2 * s + 1));
        boxes.push([dy / (h + 2 * s - 1), dx / (w + 2 * s - 1), (dy + h - 1) / (h + 2 * s - 1), (dx + w - 1) / (w + 2 * s - 1)]);
      }
      out = tf.image.cropAndResize(padded, boxes, Array.from({ length: n }, (_, i) => i), [h, w], 'nearest');
    }
    return out;
  });
}

export async function batchSource(
  graph: TrainingGraph,
  data: Dataset,
  range: [number, number],
  options: ResolvedOptions,
  ctx: JobContext,
): Promise<BatchSource> {
  const prefixEnd = graph.frozenPrefixEnd();
  const [start, end] = range;
  const count = end - start;
  const minimumBatch = Math.max(2, Math.floor(options.batchSize / 2));
  const oneHot = (labels: Int32Array) => tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), data.classes) as tf.Tensor2D);
  const prefix = (x: tf.Tensor) => (prefixEnd === 0 ? tf.clone(x) : tf.tidy(() => graph.forward(x, { training: false, to: prefixEnd })));

  const augmenting = options.augment.flip || options.augment.shift > 0;
  const probe = tf.tidy(() => prefix(tf.zeros([1, ...data.imageShape])));
  const featureShape = probe.shape.slice(1);
  probe.dispose();
  const featureSize = featureShape.reduce((a, b) => a * b, 1);
  const canCache = prefixEnd > 0 && !augmenting && featureSize * count * 4 <= options.cacheBytes;

  if (!canCache) {
    return {
      cached: false,
      epoch: (epoch, plain = false) => ({
        async *[Symbol.asyncIterator]() {
          const random = seededRandom(options.seed * 7919 + epoch + 1);
          for await (const batch of data.batches({ batchSize: options.batchSize, start, end, shuffleSeed: options.seed + epoch })) {
            if (batch.x.shape[0] < minimumBatch) {
              batch.x.dispose();
              continue;
            }
            const input = augmenting && !plain ? augment(batch.x, options.augment, random) : batch.x;
            const x = prefix(input);
            if (input !== batch.x) input.dispose();
            batch.x.dispose();
            yield { x, y: oneHot(batch.y), size: batch.y.length };
          }
        },
      }),
      dispose: () => undefined,
    };
  }

  const features = new Float32Array(featureSize * count);
  const labels = new Int32Array(count);
  let filled = 0;
  for await (const batch of data.batches({ batchSize: 256, start, end })) {
    throwIfCancelled(ctx);
    const x = prefix(batch.x);
    features.set(await x.data(), filled * featureSize);
    labels.set(batch.y, filled);
    filled += batch.y.length;
    x.dispose();
    batch.x.dispose();
    ctx.progress({ stage: 'finetune', message: 'Computing the frozen layers once', fraction: 0, step: filled, steps: count });
  }
  return {
    cached: true,
    epoch: (epoch) => ({
      async *[Symbol.asyncIterator]() {
        const order = permutation(filled, seededRandom(options.seed * 7919 + epoch + 1));
        for (let at = 0; at + minimumBatch <= filled; at += options.batchSize) {
          const size = Math.min(options.batchSize, filled - at);
          const xs = new Float32Array(size * featureSize);
          const ys = new Int32Array(size);
          for (let i = 0; i < size; i++) {
            const sample = order[at + i];
            xs.set(features.subarray(sample * featureSize, (sample + 1) * featureSize), i * featureSize);
            ys[i] = labels[sample];
          }
          yield { x: tf.tensor(xs, [size, ...featureShape]), y: oneHot(ys), size };
        }
      },
    }),
    dispose: () => undefined,
  };
}
