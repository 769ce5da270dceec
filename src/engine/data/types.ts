// The contract every dataset reader implements: a sized source of preprocessed batches, streamed.
import type * as tf from '@tensorflow/tfjs';
import type { DatasetInfo } from '../../protocol/report';

export interface Batch {
  /** Preprocessed images, NHWC float32, shaped to the model input. Caller disposes. */
  x: tf.Tensor4D;
  /** Integer class labels. */
  y: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** Sample index range [start, end) of the dataset to read. */
  start?: number;
  end?: number;
  /** Shuffle sample order with this seed (training). */
  shuffleSeed?: number;
}

export interface Dataset {
  info: DatasetInfo;
  size: number;
  classes: number;
  /** [height, width, channels] of the images after preprocessing. */
  imageShape: [number, number, number];
  batches(options: BatchOptions): AsyncIterable<Batch>;
  /** All labels in order (small: one int per sample). */
  labels(): Promise<Int32Array>;
  close?(): void;
}
