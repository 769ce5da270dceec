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

/** Keeps a seeded random share of a layer's kernel (its weight `weightIndex`: 1 for SeparableConv2D's pointwise kernel). */
export function randomMask(model: tf.LayersModel, layer: string, keepShare: number, seed: number, weightIndex = 0): MaskSet[number] {
  const shape = model.getLayer(layer).getWeights()[weightIndex].shape;
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

/**
 * A small functional graph with every layer kind the training path knows that the zoo lacks:
 * Rescaling, ZeroPadding2D, Cropping2D, a shared 1×1 conv, the less common activations and
 * LeakyReLU, Average/Maximum/Minimum/Concatenate, DepthwiseConv2D with multiplier 2 and stride 2,
 * SeparableConv2D with multiplier 2, BatchNorm over a concatenation, a squeeze-excite gate
 * (Multiply of [1, 1, C] and [H, W, C]), Dense over a feature map, GlobalMaxPooling2D, Dropout and
 * a Softmax layer. Input 8×8×3, 5 classes.
 */
export function mixedGraph(seed = 1): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  let x = apply(tf.layers.rescaling({ name: 'rescale', scale: 2, offset: -0.5 }), input);
  x = apply(tf.layers.zeroPadding2d({ name: 'pad', padding: 1 }), x);
  const k = apply(tf.layers.conv2d({ name: 'stem', filters: 8, kernelSize: 3, kernelInitializer: init(), biasInitializer: tf.initializers.randomNormal({ seed: s++, stddev: 0.1 }) }), x);
  const act = (name: string) => apply(tf.layers.activation({ name, activation: name as 'relu' }), k);
  const m1 = apply(tf.layers.maximum({ name: 'max_merge' }), [act('swish'), act('hardSigmoid'), act('tanh')]);
  const m2 = apply(tf.layers.average({ name: 'avg_merge' }), [act('selu'), act('softplus'), act('softsign')]);
  const m3 = apply(tf.layers.minimum({ name: 'min_merge' }), [act('gelu'), act('mish'), apply(tf.layers.leakyReLU({ name: 'leaky', alpha: 0.2 }), k), act('elu'), act('sigmoid'), act('relu6')]);
  const shared = tf.layers.conv2d({ name: 'shared', filters: 8, kernelSize: 1, kernelInitializer: init() });
  const d = apply(tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', depthwiseInitializer: init(), biasInitializer: tf.initializers.randomNormal({ seed: s++, stddev: 0.1 }) }), apply(shared, m1));
  const sep = apply(tf.layers.separableConv2d({ name: 'sep', filters: 8, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', depthwiseInitializer: init(), pointwiseInitializer: init() }), apply(shared, m2));
  const pooled = apply(tf.layers.averagePooling2d({ name: 'avg_pool', poolSize: 2 }), sep);
  const cropped = apply(tf.layers.cropping2D({ name: 'crop', cropping: [[1, 3], [2, 2]] }), m3);
  const cat = apply(tf.layers.concatenate({ name: 'concat' }), [d, pooled, cropped]);
  const bn = apply(tf.layers.batchNormalization({ name: 'bn', epsilon: 1e-3 }), cat);
  const squeeze = apply(tf.layers.reshape({ name: 'se_reshape', targetShape: [1, 1, 32] }), apply(tf.layers.globalAveragePooling2d({ name: 'se_squeeze' }), bn));
  const gate = apply(tf.layers.conv2d({ name: 'se_expand', filters: 32, kernelSize: 1, activation: 'sigmoid', kernelInitializer: init() }), squeeze);
  const excited = apply(tf.layers.multiply({ name: 'se_excite' }), [bn, gate]);
  const mapped = apply(tf.layers.dense({ name: 'dense_map', units: 4, kernelInitializer: init() }), excited);
  const features = apply(tf.layers.concatenate({ name: 'features' }), [
    apply(tf.layers.flatten({ name: 'flatten' }), apply(tf.layers.maxPooling2d({ name: 'max_pool', poolSize: 2, padding: 'same' }), mapped)),
    apply(tf.layers.globalMaxPooling2d({ name: 'gmp' }), excited),
  ]);
  const logits = apply(tf.layers.dense({ name: 'logits', units: 5, kernelInitializer: init() }), apply(tf.layers.dropout({ name: 'dropout', rate: 0.2 }), features));
  const model = tf.model({ inputs: input, outputs: apply(tf.layers.softmax({ name: 'softmax' }), logits), name: 'mixed' });
  const random = seededRandom(seed + 99);
  const vec = (c: number, f: () => number) => tf.tensor1d(Array.from({ length: c }, f));
  model.getLayer('bn').setWeights([vec(32, () => 0.5 + random()), vec(32, () => random() - 0.5), vec(32, () => random() - 0.5), vec(32, () => 0.5 + random())]);
  return model;
}
