// Bias-free linear readouts trained on frozen features (METHOD.md §3): cross-entropy, SGD with
// Nesterov momentum, L2, learning rate × decay per epoch, batch 100. All readouts of an analysis
// train side by side, so every feature batch (cached or recomputed) is used once per epoch.
import * as tf from '@tensorflow/tfjs';
import { throwIfCancelled, type JobContext } from '../core/context';
import type { FeatureSource } from './features';

export interface ReadoutOptions {
  epochs: number;
  learningRate: number;
  momentum: number;
  /** PyTorch-style weight decay α; the tfjs loss term is (α/2)·Σw² for the same strength (§11). */
  weightDecay: number;
  /** Learning rate factor applied after every epoch. */
  epochDecay: number;
  batchSize: number;
  seed: number;
}

export const DEFAULT_READOUT: ReadoutOptions = {
  epochs: 5,
  learningRate: 0.01,
  momentum: 0.975,
  weightDecay: 1e-3,
  epochDecay: 0.975,
  batchSize: 100,
  seed: 1,
};

export interface ReadoutProgress {
  epoch: number;
  epochs: number;
  /** Mean training loss of the epoch, per readout. */
  losses: number[];
}

/**
 * Trains one readout [size_i, classes] per feature slot `slots[i]` of the source. `include`
 * selects the rows (by dataset index) that may be used for training. Returns the kernels; the
 * caller disposes them.
 */
export async function trainReadouts(
  source: FeatureSource,
  slots: { slot: number; size: number }[],
  classes: number,
  options: ReadoutOptions,
  ctx: JobContext,
  include: (index: number) => boolean,
  onEpoch: (progress: ReadoutProgress) => void,
): Promise<tf.Tensor2D[]> {
  const kernels = slots.map(({ size }, i) => {
    const limit = 1 / Math.sqrt(size);
    const init = tf.randomUniform([size, classes], -limit, limit, 'float32', options.seed + i);
    const kernel = tf.variable(init, true) as tf.Variable<tf.Rank.R2>;
    init.dispose();
    return kernel;
  });
  // Nesterov SGD written out (same update as tf.train.momentum(lr, μ, true) and PyTorch's SGD):
  // v ← μ·v + g;  w ← w − lr·(g + μ·v). Its tfjs class leaks its learning-rate scalar on dispose.
  const velocities = kernels.map((k) => {
    const zeros = tf.zerosLike(k);
    const velocity = tf.variable(zeros, false) as tf.Variable<tf.Rank.R2>;
    zeros.dispose();
    return velocity;
  });
  let learningRate = options.learningRate;
  // Cached features: batch only the training rows (exactly batchSize per step, no gather).
  const cached = source.cached;
  const trainingRows = cached ? Int32Array.from({ length: source.samples }, (_, r) => r).filter((r) => include(cached.start + r)) : undefined;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const lossSums = slots.map(() => tf.scalar(0));
      let steps = 0;
      for await (const batch of source.batches(options.batchSize, options.seed * 7919 + epoch, trainingRows)) {
        throwIfCancelled(ctx);
        const rows = trainingRows ? null : [...batch.indices.keys()].filter((r) => include(batch.indices[r]));
        if (!rows || rows.length > 0) {
          const keep = rows && rows.length < batch.indices.length ? tf.tensor1d(rows, 'int32') : null;
          const labelValues = rows ? Int32Array.from(rows, (r) => batch.labels[r]) : batch.labels;
          const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(labelValues, 'int32'), classes).toFloat() as tf.Tensor2D);
          slots.forEach(({ slot }, i) => {
            const x = keep ? (tf.gather(batch.features[slot], keep) as tf.Tensor2D) : batch.features[slot];
            const next = tf.tidy(() => {
              const { loss, gradient } = readoutStep(x, kernels[i], labels, options.weightDecay);
              const v = velocities[i].mul(options.momentum).add(gradient);
              kernels[i].assign(kernels[i].sub(gradient.add(v.mul(options.momentum)).mul(learningRate)));
              velocities[i].assign(v as tf.Tensor2D);
              return tf.add(lossSums[i], loss) as tf.Scalar;
            });
            lossSums[i].dispose();
            lossSums[i] = next;
            if (keep) x.dispose();
          });
          keep?.dispose();
          labels.dispose();
          steps += 1;
        }
        batch.features.forEach((t) => t.dispose());
      }
      // One read-back per epoch, not per step.
      const losses = await Promise.all(lossSums.map(async (s) => (await s.data())[0] / Math.max(steps, 1)));
      lossSums.forEach((s) => s.dispose());
      learningRate = options.learningRate * options.epochDecay ** (epoch + 1);
      onEpoch({ epoch: epoch + 1, epochs: options.epochs, losses });
    }
    return kernels.map((k) => tf.clone(k) as tf.Tensor2D);
  } finally {
    kernels.forEach((k) => k.dispose());
    velocities.forEach((v) => v.dispose());
  }
}

/**
 * Loss and gradient of mean softmax cross-entropy + (α/2)·Σw² for logits = x·W, written out:
 * ∂/∂W = xᵀ·(softmax − y)/N + α·W. Several times faster than tf.variableGrads on wasm. The
 * gradient is computed as (δᵀ·x)ᵀ: wasm's matMul with a transposed [N, F] operand copies it first
 * and runs about 8× slower than with δᵀ [C, N] on the left (measured, F = 6272, N = 100).
 */
function readoutStep(x: tf.Tensor2D, kernel: tf.Tensor2D, labels: tf.Tensor2D, weightDecay: number): { loss: tf.Scalar; gradient: tf.Tensor2D } {
  const n = x.shape[0];
  const logits = tf.matMul(x, kernel);
  const logProbs = tf.logSoftmax(logits);
  const ce = tf.neg(tf.sum(tf.mul(labels, logProbs))).div(n);
  const loss = tf.add(ce, tf.sum(tf.square(kernel)).mul(weightDecay / 2)) as tf.Scalar;
  const delta = tf.sub(tf.exp(logProbs), labels).div(n);
  const gradient = tf.add(tf.matMul(delta.transpose(), x).transpose(), tf.mul(kernel, weightDecay)) as tf.Tensor2D;
  return { loss, gradient };
}
