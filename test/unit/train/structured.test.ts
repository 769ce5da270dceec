import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { removeDeadFilters } from '../../../src/engine/prune/structured';
import { maxAbsDiff, tinyCnn, useBackend } from './helpers';

/** Zeroes kernel entries of `layer` where `dead(index)` holds (index over the row-major kernel). */
function zeroKernel(model: tf.LayersModel, layer: string, dead: (coords: number[]) => boolean): void {
  const [kernel, ...rest] = model.getLayer(layer).getWeights();
  const values = Float32Array.from(kernel.dataSync());
  const shape = kernel.shape;
  values.forEach((_, i) => {
    const coords: number[] = [];
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      coords.unshift(r % shape[d]);
      r = Math.floor(r / shape[d]);
    }
    if (dead(coords)) values[i] = 0;
  });
  const replaced = tf.tensor(values, shape);
  model.getLayer(layer).setWeights([replaced, ...rest]);
  replaced.dispose();
}

const params = (model: tf.LayersModel) => model.countParams();

describe('structured removal (wasm)', () => {
  before(() => useBackend('wasm'));

  it('removes filters without outgoing or live incoming connections and computes the same function', async () => {
    const model = tinyCnn(3);
    // conv1 filter 1: no outgoing connections into conv2.
    zeroKernel(model, 'conv2', ([, , input]) => input === 1);
    // conv2 filter 2: no outgoing connections into the dense head (rows p·6 + 2 after Flatten).
    zeroKernel(model, 'output', ([row]) => row % 6 === 2);
    // conv1 filter 3: no incoming weights, zero bias, and BatchNorm+ReLU map its constant to 0.
    zeroKernel(model, 'conv1', ([, , , out]) => out === 3);
    const [k1, b1] = model.getLayer('conv1').getWeights();
    model.getLayer('conv1').setWeights([k1, tf.tensor1d(Array.from(b1.dataSync(), (v, i) => (i === 3 ? 0 : v)))]);
    const [g, beta, mean, variance] = model.getLayer('bn1').getWeights().map((w) => Array.from(w.dataSync()));
    [g[3], beta[3], mean[3]] = [1, 0, 1];
    model.getLayer('bn1').setWeights([g, beta, mean, variance].map((v) => tf.tensor1d(v)));

    const { model: slim, layers } = await removeDeadFilters(model);
    assert.deepEqual(layers, [
      { layer: 'conv1', before: 4, after: 2, removed: [1, 3] },
      { layer: 'conv2', before: 6, after: 5, removed: [2] },
    ]);
    assert.equal(slim.getLayer('bn1').getWeights()[0].shape[0], 2);
    assert.deepEqual(slim.getLayer('output').getWeights()[0].shape, [45, 3]);
    assert.ok(params(slim) < params(model));
    const x = tf.randomUniform([8, 6, 6, 2], 0, 1, 'float32', 5);
    const a = model.predict(x) as tf.Tensor;
    const b = slim.predict(x) as tf.Tensor;
    assert.ok(maxAbsDiff(a, b) < 1e-5, `difference ${maxAbsDiff(a, b)}`);
    tf.dispose([x, a, b]);
    slim.dispose();
    model.dispose();
  });

  it('removes filters the caller names once their outgoing connections are cut (as AFCC\'s mask cuts them)', async () => {
    const model = tinyCnn(4);
    const tensorsBefore = tf.memory().numTensors;
    // Still read, a named filter stays: removing it would change the output.
    const { kept } = await removeDeadFilters(model, { remove: { conv2: [0] } }).then((r) => (r.model.dispose(), r));
    assert.ok(kept.some((k) => k.layer === 'conv2' && k.channel === 0), 'a named filter that is still read is kept, with its reason');
    zeroKernel(model, 'output', ([row]) => row % 6 === 0 || row % 6 === 4);
    const { model: slim, layers } = await removeDeadFilters(model, { remove: { conv2: [0, 4] } });
    assert.deepEqual(layers, [{ layer: 'conv2', before: 6, after: 4, removed: [0, 4] }]);
    const x = tf.randomUniform([4, 6, 6, 2], 0, 1, 'float32', 6);
    const a = model.predict(x) as tf.Tensor;
    const b = slim.predict(x) as tf.Tensor;
    assert.ok(maxAbsDiff(a, b) < 1e-5, `difference ${maxAbsDiff(a, b)}`);
    tf.dispose([x, a, b]);
    slim.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaked');
    // The model's output channels (the classes) are never removed.
    const named = await removeDeadFilters(model, { remove: { output: [0] } });
    named.model.dispose();
    assert.ok(!named.layers.some((l) => l.layer === 'output'), 'no class was removed');
    assert.match(named.kept.find((k) => k.layer === 'output')?.reason ?? '', /output/);
    model.dispose();
  });
});
