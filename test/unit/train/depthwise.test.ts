// The depthwise convolution's hand-written gradients against tfjs's own autodiff, on the cpu
// backend (where tfjs has both depthwise backprop kernels; wasm has neither).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { depthwiseConv2dWithBias } from '../../../src/engine/train/depthwise';
import { maxAbsDiff, useBackend } from './helpers';

type Case = { name: string; input: [number, number, number, number]; kernel: [number, number, number, number]; strides: [number, number]; padding: 'same' | 'valid' };

describe('depthwise gradients equal tfjs autodiff (cpu)', () => {
  before(() => useBackend('cpu'));

  const cases: Case[] = [
    { name: '3x3 same', input: [2, 7, 6, 3], kernel: [3, 3, 3, 1], strides: [1, 1], padding: 'same' },
    { name: '3x3 valid, multiplier 3', input: [2, 7, 6, 2], kernel: [3, 3, 2, 3], strides: [1, 1], padding: 'valid' },
    { name: '3x3 stride 2 same, multiplier 2', input: [2, 8, 7, 3], kernel: [3, 3, 3, 2], strides: [2, 2], padding: 'same' },
    { name: '3x3 stride 2 valid', input: [1, 9, 8, 4], kernel: [3, 3, 4, 1], strides: [2, 2], padding: 'valid' },
    { name: '2x3 strides 2x1 same', input: [3, 6, 5, 2], kernel: [2, 3, 2, 1], strides: [2, 1], padding: 'same' },
    { name: '5x5 stride 3 valid, multiplier 2', input: [2, 11, 10, 2], kernel: [5, 5, 2, 2], strides: [3, 3], padding: 'valid' },
  ];
  for (const c of cases) {
    it(`${c.name}: output, input, kernel and bias gradients`, () => {
      const x = tf.randomNormal(c.input, 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal(c.kernel, 0, 1, 'float32', 2) as tf.Tensor4D;
      const b = tf.randomNormal([c.kernel[2] * c.kernel[3]], 0, 1, 'float32', 3) as tf.Tensor1D;
      const probe = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
      const reference = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => probe(tf.add(tf.depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, c.strides, c.padding), bi)));
      const geometry = { strides: c.strides, padding: c.padding, inputGradient: true };
      const fast = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => probe(depthwiseConv2dWithBias(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, geometry)));
      const expected = reference([x, w, b]);
      const actual = fast([x, w, b]);
      expected.forEach((e, i) => {
        assert.deepEqual(actual[i]!.shape, e.shape);
        assert.ok(maxAbsDiff(e, actual[i]!) < 1e-3, `gradient ${i}: ${maxAbsDiff(e, actual[i]!)}`);
      });
      const y1 = tf.add(tf.depthwiseConv2d(x, w, c.strides, c.padding), b);
      const y2 = depthwiseConv2dWithBias(x, w, b, geometry);
      assert.ok(maxAbsDiff(y1, y2) < 1e-4);
      tf.dispose([x, w, b, y1, y2, ...expected, ...actual]);
    });
  }

  it('skips the gradients nobody reads: zeros for a frozen kernel and for the input of the first trained layer', () => {
    const x = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 2, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(depthwiseConv2dWithBias(xi as tf.Tensor4D, wi as tf.Tensor4D, null, {
      strides: [1, 1], padding: 'same', inputGradient: false, kernelGradient: false,
    })))([x, w]);
    assert.equal(tf.tidy(() => tf.abs(dx!).max().dataSync()[0]), 0);
    assert.equal(tf.tidy(() => tf.abs(dw!).max().dataSync()[0]), 0);
    tf.dispose([x, w, dx!, dw!]);
  });
});
