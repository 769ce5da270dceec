// Small in-memory datasets and models for the SFP and pruning tests.
import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchOptions, Dataset } from '../../../src/engine/data/types';
import { mulberry32, shuffleInPlace } from '../../../src/engine/core/random';

/** A Dataset over arrays held in memory: images [n, h, w, c] and labels. */
export function memoryDataset(images: Float32Array, labels: Int32Array, shape: [number, number, number], classes: number): Dataset {
  const size = labels.length;
  const per = shape[0] * shape[1] * shape[2];
  return {
    info: {
      path: 'memory', kind: 'npy', samples: size, classes, sha256: '', split: 'test',
      preprocessing: { scale: 'none', source: 'option' },
    },
    size,
    classes,
    imageShape: shape,
    async *batches(options: BatchOptions): AsyncIterable<Batch> {
      const start = options.start ?? 0;
      const end = options.end ?? size;
      const order = Int32Array.from({ length: end - start }, (_, i) => start + i);
      if (options.shuffleSeed !== undefined) shuffleInPlace(order, options.shuffleSeed);
      for (let b = 0; b < order.length; b += options.batchSize) {
        const rows = order.subarray(b, Math.min(order.length, b + options.batchSize));
        const x = new Float32Array(rows.length * per);
        rows.forEach((r, i) => x.set(images.subarray(r * per, (r + 1) * per), i * per));
        yield { x: tf.tensor4d(x, [rows.length, ...shape]), y: Int32Array.from(rows, (r) => labels[r]) };
      }
    },
    async labels() {
      return labels.slice();
    },
  };
}

/**
 * A learnable synthetic task: class k lights a bright k-th patch on an 8×8 image, with noise.
 */
export function patchDataset(n: number, classes: number, seed: number): Dataset {
  const random = mulberry32(seed);
  const shape: [number, number, number] = [8, 8, 1];
  const images = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const y = s % classes;
    labels[s] = y;
    for (let p = 0; p < 64; p++) images[s * 64 + p] = random() * 0.3;
    const row = Math.floor(y / 4) * 2;
    const col = (y % 4) * 2;
    for (const [dr, dc] of [[0, 0], [0, 1], [1, 0], [1, 1]]) images[s * 64 + (row + dr) * 8 + col + dc] += 1;
  }
  return memoryDataset(images, labels, shape, classes);
}

/** conv(4)+BN+ReLU+pool → conv(6)+BN+ReLU+pool → conv(8)+ReLU → Flatten → Dense(classes), seeded. */
export function tinyVgg(classes: number, seed = 3): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ name: 'conv1', inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }));
  model.add(tf.layers.batchNormalization({ name: 'bn1', axis: 3 }));
  model.add(tf.layers.reLU({ name: 'relu1' }));
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: init(2) }));
  model.add(tf.layers.batchNormalization({ name: 'bn2', axis: 3 }));
  model.add(tf.layers.reLU({ name: 'relu2' }));
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv3', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(3) }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'out', units: classes, useBias: false, activation: 'softmax', kernelInitializer: init(4) }));
  return model;
}
