// The parameter-free steps as tfjs ops, written as tfjs-layers computes them (so the training
// graph predicts what model.predict does) and using only ops whose gradients run on wasm.
import * as tf from '@tensorflow/tfjs';
import type { Activation, MergeOp, Step } from './steps';

export function applyActivation(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return relu6(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'elu': return tf.elu(x);
    case 'softmax': return tf.softmax(x);
    case 'swish': return tf.mul(tf.sigmoid(x), x);
    case 'hardSigmoid': return tf.clipByValue(tf.add(0.5, tf.mul(0.2, x)), 0, 1);
    case 'selu': return tf.selu(x);
    case 'softplus': return tf.softplus(x);
    case 'softsign': return tf.div(x, tf.add(tf.abs(x), 1));
    case 'gelu': return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
    case 'mish': return tf.mul(x, tf.tanh(tf.softplus(x)));
  }
}

type SaveTensors = (tensors: tf.Tensor[]) => void;

/**
 * ReLU6 with its gradient as dy·step(x)·step(6 − x). tfjs's own (LessEqual, Cast, Step, Mul) runs
 * its scalar comparison element by element on wasm, about twice the time; the two differ only at
 * x = 6 exactly (0 here, 1 there), a point a trained value does not sit on.
 */
const relu6 = tf.customGrad((x, save) => {
  (save as unknown as SaveTensors)([x as tf.Tensor]);
  return {
    value: tf.relu6(x as tf.Tensor),
    gradFunc: (dy: tf.Tensor, [input]: tf.Tensor[]) => tf.mul(dy, tf.mul(tf.step(input!), tf.step(tf.sub(6, input!)))),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** Keras merge semantics: lower-rank inputs get unit axes after the batch axis, then broadcast. */
export function mergeTensors(op: MergeOp, inputs: tf.Tensor[]): tf.Tensor {
  if (op === 'concat') return tf.concat(inputs, -1);
  const rank = Math.max(...inputs.map((t) => t.rank));
  const aligned = inputs.map((t) => (t.rank < rank ? tf.reshape(t, [t.shape[0], ...Array<number>(rank - t.rank).fill(1), ...t.shape.slice(1)]) : t));
  const fold = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => aligned.slice(1).reduce(f, aligned[0]!);
  switch (op) {
    case 'add': return fold(tf.add);
    case 'subtract': return tf.sub(aligned[0]!, aligned[1]!);
    case 'multiply': return fold(tf.mul);
    case 'average': return tf.mul(1 / aligned.length, fold(tf.add));
    case 'maximum': return fold(tf.maximum);
    case 'minimum': return fold(tf.minimum);
  }
}

type ShapeStep = Extract<Step, { kind: 'activation' | 'leakyRelu' | 'pool' | 'globalpool' | 'flatten' | 'reshape' | 'pad' | 'crop' | 'rescale' }>;

/** A one-input step without parameters; `activation` is what an activation step applies. */
export function applyShapeStep(step: ShapeStep, x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (step.kind) {
    case 'activation':
      return applyActivation(x, activation);
    case 'leakyRelu':
      return tf.leakyRelu(x, step.alpha);
    case 'pool':
      return step.op === 'max'
        ? tf.maxPool(x as tf.Tensor4D, step.size, step.strides, step.padding)
        : tf.avgPool(x as tf.Tensor4D, step.size, step.strides, step.padding);
    case 'globalpool':
      return step.op === 'max' ? tf.max(x, [1, 2]) : tf.mean(x, [1, 2]);
    case 'flatten':
      return tf.reshape(x, [x.shape[0], -1]);
    case 'reshape':
      return tf.reshape(x, [x.shape[0], ...step.shape]);
    case 'pad':
      return tf.pad(x, [[0, 0], step.padding[0], step.padding[1], [0, 0]]);
    case 'crop': {
      const [[top, bottom], [left, right]] = step.cropping;
      const [n, h, w, c] = x.shape;
      return tf.slice(x, [0, top, left, 0], [n, h! - top - bottom, w! - left - right, c]);
    }
    case 'rescale':
      return tf.add(tf.mul(x, step.scale), step.offset);
  }
}
