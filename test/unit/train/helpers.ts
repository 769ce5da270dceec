// Small models and in-memory datasets for the training tests.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { Dataset } from '../../../src/engine/data/types';
import type { MaskSet } from '../../../src/engine/graph/masks';
import { seededRandom } from '../../../src/engine/train/options';

export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

/** conv(4) → BN → ReLU → conv(6) → BN → ReLU → maxpool → flatten → dense(3, softmax), on 6x6x2. */
export function tinyCnn(seed = 1): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ name: 'conv1', inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 1, stddev: 0.1 }) }));
  model.add(tf.layers.batchNormalization({ name: 'bn1', axis: 3, epsilon: 1e-5 }));
  model.add(tf.layers.reLU({ name: 'relu1' }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 3, stddev: 0.1 }) }));
  model.add(tf.layers.batchNormalization({ name: 'bn2', axis: 3, epsilon: 1e-5 }));
  model.add(tf.layers.reLU({ name: 'relu2' }));
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'output', units: 3, useBias: false, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }) }));
  // Non-trivial BatchNorm statistics and affine parameters, so the tests see them.
  const random = seededRandom(seed + 5);
  for (const name of ['bn1', 'bn2']) {
    const layer = model.getLayer(name);
    const c = layer.getWeights()[0].shape[0];
    const vec = (f: () => number) => tf.tensor1d(Array.from({ length: c }, f));
    layer.setWeights([vec(() => 0.5 + random()), vec(() => random() - 0.5), vec(() => random() - 0.5), vec(() => 0.5 + random())]);
  }
  return model;
}

/** A labelled dataset where the class is decided by which quadrant is brightest. */
export function quadrantDataset(size: number, seed = 7, shape: [number, number, number] = [6, 6, 2]): Dataset {
  const random = seededRandom(seed);
  const [h, w, c] = shape;
  const per = h * w * c;
  const x = new Float32Array(size * per);
  const y = new Int32Array(size);
  for (let n = 0; n < size; n++) {
    const label = Math.floor(random() * 3);
    y[n] = label;
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) {
      const quadrant = (i < h / 2 ? 0 : 1) + (j < w / 2 ? 0 : 1) * (label === 2 ? 1 : 0);
      x[n * per + (i * w + j) * c + k] = random() * 0.5 + (quadrant === label ? 0.8 : 0);
    }
  }
  return arrayDataset(x, y, shape, 3);
}

export function arrayDataset(x: Float32Array, y: Int32Array, shape: [number, number, number], classes: number): Dataset {
  const per = shape[0] * shape[1] * shape[2];
  const size = y.length;
  return {
    info: { path: 'memory', kind: 'npy', samples: size, classes, sha256: '', split: 'train', preprocessing: { scale: 'none', source: 'option' } },
    size,
    classes,
    imageShape: shape,
    labels: async () => y,
    batches(options) {
      const start = options.start ?? 0;
      const end = options.end ?? size;
      const order = Array.from({ length: end - start }, (_, i) => start + i);
      if (options.shuffleSeed !== undefined) {
        const random = seededRandom(options.shuffleSeed + 11);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      return {
        async *[Symbol.asyncIterator]() {
          for (let at = 0; at < order.length; at += options.batchSize) {
            const ids = order.slice(at, at + options.batchSize);
            const xs = new Float32Array(ids.length * per);
            ids.forEach((id, i) => xs.set(x.subarray(id * per, (id + 1) * per), i * per));
            yield { x: tf.tensor4d(xs, [ids.length, ...shape]), y: Int32Array.from(ids, (id) => y[id]) };
          }
        },
      };
    },
  };
}

/** Keeps a seeded random share of a layer's kernel. */
export function randomMask(model: tf.LayersModel, layer: string, keepShare: number, seed: number): MaskSet[number] {
  const shape = model.getLayer(layer).getWeights()[0].shape;
  const random = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return { layer, shape, keep: Uint8Array.from({ length: size }, () => (random() < keepShare ? 1 : 0)) };
}

export function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array).map((v) => Float32Array.from(v));
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
