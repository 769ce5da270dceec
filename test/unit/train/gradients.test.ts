// The hand-written gradients against tfjs's own autodiff, on the cpu backend (where tfjs has
// every conv gradient kernel).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { conv2dWithBias } from '../../../src/engine/train/convolution';
import { batchNormTraining } from '../../../src/engine/train/batchNorm';
import { applyActivation } from '../../../src/engine/train/ops';
import { maxAbsDiff, useBackend } from './helpers';

describe('fast-path gradients equal tfjs autodiff (cpu)', () => {
  before(() => useBackend('cpu'));

  const cases: { name: string; input: [number, number, number, number]; kernel: [number, number, number, number]; strides: [number, number]; padding: 'same' | 'valid' }[] = [
    { name: '3x3 same', input: [2, 7, 6, 3], kernel: [3, 3, 3, 4], strides: [1, 1], padding: 'same' },
    { name: '3x3 valid', input: [2, 7, 6, 3], kernel: [3, 3, 3, 4], strides: [1, 1], padding: 'valid' },
    { name: '2x3 stride 2 same', input: [2, 8, 7, 2], kernel: [2, 3, 2, 5], strides: [2, 2], padding: 'same' },
    { name: '3x3 stride 2 valid', input: [1, 9, 9, 2], kernel: [3, 3, 2, 3], strides: [2, 2], padding: 'valid' },
    { name: '3x3 stride 2 same, odd size', input: [2, 7, 7, 3], kernel: [3, 3, 3, 4], strides: [2, 2], padding: 'same' },
    // 1×1 strided (ResNet projection shortcuts): channels mixed on dY, then placed on the input grid.
    { name: '1x1 stride 2 same', input: [2, 8, 8, 3], kernel: [1, 1, 3, 5], strides: [2, 2], padding: 'same' },
    { name: '1x1 stride 2 same, odd size', input: [2, 7, 5, 3], kernel: [1, 1, 3, 4], strides: [2, 2], padding: 'same' },
    { name: '1x1 stride 3x2 valid', input: [1, 8, 7, 2], kernel: [1, 1, 2, 3], strides: [3, 2], padding: 'valid' },
  ];
  for (const c of cases) {
    it(`conv2d ${c.name}: output, input, kernel and bias gradients`, () => {
      const x = tf.randomNormal(c.input, 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal(c.kernel, 0, 1, 'float32', 2) as tf.Tensor4D;
      const b = tf.randomNormal([c.kernel[3]], 0, 1, 'float32', 3) as tf.Tensor1D;
      const probe = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
      const reference = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => probe(tf.add(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, c.strides, c.padding), bi)));
      const fast = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => probe(conv2dWithBias(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, { strides: c.strides, padding: c.padding, inputGradient: true })));
      const expected = reference([x, w, b]);
      const actual = fast([x, w, b]);
      expected.forEach((e, i) => assert.ok(maxAbsDiff(e, actual[i]) < 1e-3, `gradient ${i}: ${maxAbsDiff(e, actual[i])}`));
      const y1 = tf.add(tf.conv2d(x, w, c.strides, c.padding), b);
      const y2 = conv2dWithBias(x, w, b, { strides: c.strides, padding: c.padding, inputGradient: true });
      assert.ok(maxAbsDiff(y1, y2) < 1e-4);
      tf.dispose([x, w, b, y1, y2, ...expected, ...actual]);
    });
  }

  it('BatchNorm training mode: output, batch moments and gradients', () => {
    const x = tf.randomNormal([3, 4, 5, 6], 2, 3, 'float32', 4);
    const gamma = tf.randomUniform([6], 0.5, 1.5, 'float32', 5);
    const beta = tf.randomNormal([6], 0, 1, 'float32', 6);
    const probe = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.cos(tf.range(0, y.size).reshape(y.shape))));
    const reference = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(xi, [0, 1, 2]);
      return tf.batchNorm(xi, m.mean, m.variance, b, g, 1e-5);
    };
    const moments: tf.Tensor[] = [];
    const fast = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTraining(xi, g, b, 1e-5, (m) => moments.push(m.mean, m.variance));
    const expected = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => probe(reference(a, g, b)))([x, gamma, beta]);
    const actual = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => probe(fast(a, g, b)))([x, gamma, beta]);
    expected.forEach((e, i) => assert.ok(maxAbsDiff(e, actual[i]) < 1e-3, `gradient ${i}: ${maxAbsDiff(e, actual[i])}`));
    const m = tf.moments(x, [0, 1, 2]);
    assert.ok(maxAbsDiff(moments[0], m.mean) < 1e-4 && maxAbsDiff(moments[1], m.variance) < 1e-3);
    tf.dispose([x, gamma, beta, m.mean, m.variance, ...moments, ...expected, ...actual]);
  });

  it('relu6: output and gradient (below 0, between, above 6)', () => {
    const x = tf.add(tf.mul(tf.randomUniform([4, 5, 6, 3], 0, 1, 'float32', 9), 12), -3);
    const probe = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
    const [expected] = tf.grads((a: tf.Tensor) => probe(tf.relu6(a)))([x]);
    const [actual] = tf.grads((a: tf.Tensor) => probe(applyActivation(a, 'relu6')))([x]);
    const y1 = tf.relu6(x);
    const y2 = applyActivation(x, 'relu6');
    assert.equal(maxAbsDiff(y1, y2), 0);
    assert.ok(maxAbsDiff(expected!, actual!) < 1e-6, `gradient: ${maxAbsDiff(expected!, actual!)}`);
    const inside = tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)).sum().dataSync()[0]!;
    assert.ok(inside > 0 && inside < x.size, 'the probe covers both the flat and the sloped parts');
    tf.dispose([x, y1, y2, expected!, actual!]);
  });

  it('BatchNorm training mode over features (rank 2, no scale): output and input gradient', () => {
    const x = tf.randomNormal([9, 5], -1, 2, 'float32', 7);
    const beta = tf.randomNormal([5], 0, 1, 'float32', 8);
    const probe = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.cos(tf.range(0, y.size).reshape(y.shape))));
    const reference = (xi: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(xi, [0]);
      // (tfjs's own BatchNorm gradient needs a scale tensor: γ = 1 stands for "no scale".)
      return tf.batchNorm(xi, m.mean, m.variance, b, tf.ones([5]), 1e-3);
    };
    const fast = (xi: tf.Tensor, b: tf.Tensor) => batchNormTraining(xi, undefined, b, 1e-3, (m) => tf.dispose([m.mean, m.variance]));
    assert.ok(maxAbsDiff(reference(x, beta), fast(x, beta)) < 1e-4);
    const expected = tf.grads((a: tf.Tensor, b: tf.Tensor) => probe(reference(a, b)))([x, beta]);
    const actual = tf.grads((a: tf.Tensor, b: tf.Tensor) => probe(fast(a, b)))([x, beta]);
    expected.forEach((e, i) => assert.ok(maxAbsDiff(e, actual[i]) < 1e-3, `gradient ${i}: ${maxAbsDiff(e, actual[i])}`));
    tf.dispose([x, beta, ...expected, ...actual]);
  });
});
