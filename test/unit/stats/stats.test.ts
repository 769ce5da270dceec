import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../../../src/engine/formats/index';
import { layerStats, modelTotals } from '../../../src/engine/stats/index';
import { publicSkip } from '../formats/helpers';

const repoRoot = path.resolve(__dirname, '../../..');
const tinyModel = path.join(repoRoot, 'test/fixtures/tiny/model.json');

test('tiny CNN: per-layer params, zeros, filters and MACs counted by hand', async () => {
  const before = tf.memory().numTensors;
  const { model, files } = await openModel(tinyModel);
  const stats = layerStats(model);
  const byName = Object.fromEntries(stats.map((s) => [s.name, s]));
  assert.deepEqual(
    stats.map((s) => s.className),
    ['Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Flatten', 'Dense'],
  );
  // conv1: 3*3*1*4 + 4; out 8x8x4; MACs 8*8 * 3*3*1 * 4
  assert.deepEqual(
    { p: byName.conv1!.params, t: byName.conv1!.trainableParams, f: byName.conv1!.filters, m: byName.conv1!.macs },
    { p: 40, t: 40, f: 4, m: 2304 },
  );
  assert.deepEqual(byName.conv1!.outputShape, [null, 8, 8, 4]);
  // bn1: gamma, beta trainable; moving mean/variance not.
  assert.deepEqual({ p: byName.bn1!.params, t: byName.bn1!.trainableParams, m: byName.bn1!.macs }, { p: 16, t: 8, m: 0 });
  // conv2: every 7th of its 288 kernel entries was zeroed by make-tiny.ts -> 42 zeros.
  assert.deepEqual({ p: byName.conv2!.params, z: byName.conv2!.zeros, m: byName.conv2!.macs }, { p: 296, z: 42, m: 4 * 4 * 9 * 4 * 8 });
  assert.equal(byName.conv2!.sparsity, 42 / 296);
  assert.deepEqual({ p: byName.logits!.params, f: byName.logits!.filters, m: byName.logits!.macs }, { p: 320, f: 10, m: 320 });
  assert.deepEqual(byName.pool2!.outputShape, [null, 2, 2, 8]);
  assert.ok(stats.every((s) => s.analysable));

  const totals = await modelTotals(model, files, stats);
  assert.equal(totals.params, model.countParams());
  assert.equal(totals.params, 704);
  assert.equal(totals.zeros, 42);
  assert.equal(totals.macs, 2304 + 4608 + 320);
  assert.equal(totals.bytes, files.reduce((sum, f) => sum + statSync(f).size, 0));
  assert.equal(totals.gzipBytes, files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 6 }).length, 0));
  assert.ok(totals.gzipBytes < totals.bytes);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('depthwise, separable, grouped-free conv and rank-3 dense MACs; unknown layers are flagged', () => {
  const input = tf.input({ shape: [10, 10, 3] });
  const dw = tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2 }).apply(input) as tf.SymbolicTensor;
  const sep = tf.layers.separableConv2d({ name: 'sep', kernelSize: 3, filters: 5, padding: 'same' }).apply(dw) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ name: 'per_pixel', units: 4 }).apply(sep) as tf.SymbolicTensor;
  const seq = tf.layers.reshape({ name: 'to_seq', targetShape: [64, 4] }).apply(dense) as tf.SymbolicTensor;
  const rnn = tf.layers.simpleRNN({ name: 'rnn', units: 2 }).apply(seq) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: rnn });
  const byName = Object.fromEntries(layerStats(model).map((s) => [s.name, s]));
  // depthwise: out 8x8, 3x3 kernel, 3 channels x multiplier 2
  assert.deepEqual({ f: byName.dw!.filters, m: byName.dw!.macs }, { f: 6, m: 8 * 8 * 9 * 3 * 2 });
  // separable: depthwise 8*8*9*6 + pointwise 8*8*6*5
  assert.deepEqual({ f: byName.sep!.filters, m: byName.sep!.macs }, { f: 5, m: 8 * 8 * 9 * 6 + 8 * 8 * 6 * 5 });
  assert.equal(byName.per_pixel!.macs, 8 * 8 * 5 * 4);
  assert.equal(byName.rnn!.analysable, false);
  assert.match(byName.rnn!.note ?? '', /SimpleRNN/);
  assert.equal(byName.rnn!.params, model.getLayer('rnn').countParams());
  model.dispose();
});

test('the public MNIST model: totals match its README and its files', { skip: publicSkip }, async () => {
  const file = path.resolve(repoRoot, '../shared/fixtures/public/mnist-tfjs-small/model.json');
  const { model, files } = await openModel(file);
  const totals = await modelTotals(model, files);
  assert.equal(totals.params, 24155);
  // conv 24*24*25*30 + conv 10*10*9*30*15 + dense 375*50 + dense 50*10
  assert.equal(totals.macs, 432000 + 405000 + 18750 + 500);
  assert.equal(totals.bytes, 4187 + 96620);
  assert.equal(totals.zeros, 0);
  model.dispose();
});
