import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { recalibrateBatchNorm } from '../../../src/engine/train/recalibrate';
import { quietContext } from '../../../src/engine/core/context';
import { arrayDataset, quadrantDataset, tinyCnn, useBackend } from './helpers';

describe('BatchNorm re-estimation (wasm)', () => {
  before(() => useBackend('wasm'));

  it('sets the moving mean and variance to the data statistics and changes nothing else', async () => {
    const model = tf.sequential();
    model.add(tf.layers.batchNormalization({ name: 'bn', inputShape: [1, 1, 2], axis: 3, epsilon: 1e-5 }));
    model.add(tf.layers.flatten({ name: 'flatten' }));
    model.add(tf.layers.dense({ name: 'output', units: 2, activation: 'softmax', kernelInitializer: tf.initializers.ones() }));
    model.getLayer('bn').setWeights([tf.tensor1d([2, 3]), tf.tensor1d([0.5, -1]), tf.tensor1d([0, 0]), tf.tensor1d([1, 1])]);
    // Channel 0 takes 1..8 (mean 4.5, biased variance 5.25); channel 1 is constant 3.
    const x = new Float32Array(16);
    for (let n = 0; n < 8; n++) [x[2 * n], x[2 * n + 1]] = [n + 1, 3];
    const tensorsBefore = tf.memory().numTensors;
    const changed = await recalibrateBatchNorm(model, arrayDataset(x, new Int32Array(8), [1, 1, 2], 2), quietContext(), { batches: 1, batchSize: 8 });
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.deepEqual(changed, ['bn']);
    const [gamma, beta, mean, variance] = model.getLayer('bn').getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(gamma, [2, 3]);
    assert.deepEqual(beta, [0.5, -1]);
    assert.ok(Math.abs(mean[0] - 4.5) < 1e-5 && Math.abs(mean[1] - 3) < 1e-5, `mean ${mean}`);
    assert.ok(Math.abs(variance[0] - 5.25) < 1e-4 && Math.abs(variance[1]) < 1e-5, `variance ${variance}`);
    assert.deepEqual(Array.from(model.getLayer('output').getWeights()[0].dataSync()), [1, 1, 1, 1]);
    model.dispose();
  });

  it('averages per-batch statistics over several batches', async () => {
    const model = tinyCnn();
    const data = quadrantDataset(64, 3);
    await recalibrateBatchNorm(model, data, quietContext(), { batches: 4, batchSize: 16, seed: 2 });
    // Inference with the new statistics: the first BatchNorm's output over the data is ~standardised.
    const probe = tf.model({ inputs: model.inputs, outputs: model.getLayer('bn1').output as tf.SymbolicTensor });
    const all: tf.Tensor[] = [];
    for await (const batch of data.batches({ batchSize: 64 })) all.push(batch.x);
    const [gamma, beta] = model.getLayer('bn1').getWeights();
    const normalised = tf.tidy(() => tf.div(tf.sub(probe.predict(all[0]) as tf.Tensor, beta), gamma));
    const m = tf.moments(normalised, [0, 1, 2]);
    const means = m.mean.dataSync();
    const variances = m.variance.dataSync();
    means.forEach((v) => assert.ok(Math.abs(v) < 0.05, `mean ${v}`));
    variances.forEach((v) => assert.ok(Math.abs(v - 1) < 0.05, `variance ${v}`));
    tf.dispose([...all, normalised, m.mean, m.variance]);
    model.dispose();
  });
});
