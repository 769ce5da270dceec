// The rules of structured removal on small built models and two zoo models: a bias-free reader
// that is not followed by BatchNorm gains a bias for a folded constant; a constant read through
// 'same' padding keeps its channel; a depthwise multiplier ties m out-channels to one in-channel;
// a SeparableConv2D reader; channels named for removal but still read stay; every tensor keeps a
// channel; a nested Sequential head's input width follows the removal.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel, saveModel } from '../../../src/engine/formats';
import { layerById } from '../../../src/engine/graph';
import { removeDeadFilters } from '../../../src/engine/prune/structured';
import { layerStats } from '../../../src/engine/stats';
import { repoRoot } from '../formats/helpers';
import { edit, zero } from './weightEdits';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quench-structured-rules-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));



const predict = (model: tf.LayersModel, x: tf.Tensor): Float32Array => tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const width = (model: tf.LayersModel, id: string): number => (layerById(model, id).outputShape as number[]).at(-1)!;
const params = (model: tf.LayersModel): number => layerStats(model).reduce((s, l) => s + l.params, 0);

/** input [6, 6, 2] → c1 (3×3 valid, 4, relu) → c2 (k×k `padding`, 3, no bias) → relu → flatten → out (5, softmax). */
function smallNet(c2: { kernelSize: number; padding: 'same' | 'valid' }): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2], name: 'image' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'c1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 3, ...c2, useBias: false, name: 'c2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'r2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 5, activation: 'softmax', name: 'out' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'small' });
}

/** c1's filter 1 reads nothing and outputs relu(0.7) = 0.7 everywhere. */
function deadWithConstant(model: tf.LayersModel): void {
  zero(model, 'c1', 'kernel', -1, [1]);
  edit(model, 'c1', 'bias', (bias) => (bias[1] = 0.7));
}

test('a constant folded into a bias-free reader without a BatchNorm after it gives the reader a bias', async () => {
  const model = smallNet({ kernelSize: 1, padding: 'valid' });
  const x = tf.randomUniform([4, 6, 6, 2], 0, 1, 'float32', 3);
  try {
    deadWithConstant(model);
    const expected = predict(model, x);
    const result = await removeDeadFilters(model);
    try {
      assert.deepEqual(result.layers, [{ layer: 'c1', before: 4, after: 3, removed: [1] }]);
      assert.equal((layerById(result.model, 'c2').getConfig() as { useBias: boolean }).useBias, true);
      // c1 loses 3·3·2 + 1, c2 loses one input row (3) and gains a bias (3).
      assert.equal(params(model) - params(result.model), 19);
      assert.ok(maxDiff(predict(result.model, x), expected) <= 1e-5);
      const file = path.join(dir, 'bias.keras');
      await saveModel(result.model, file, 'keras-v3');
      const reread = await openModel(file);
      assert.ok(maxDiff(predict(reread.model, x), expected) <= 1e-5);
      reread.model.dispose();
    } finally {
      result.model.dispose();
    }
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('a nonzero constant read through \'same\' padding keeps its channel, with the reason', async () => {
  const model = smallNet({ kernelSize: 3, padding: 'same' });
  try {
    deadWithConstant(model);
    const result = await removeDeadFilters(model);
    result.model.dispose();
    assert.deepEqual(result.layers, []);
    assert.equal(result.kept.length, 1);
    assert.deepEqual({ ...result.kept[0], reason: undefined }, { layer: 'c1', channel: 1, reason: undefined });
    assert.match(result.kept[0]!.reason, /c1 writes zeros into it, but c2 reads the constant 0\.7000 it then carries through 'same' padding/);
  } finally {
    model.dispose();
  }
});

test('channels named for removal go when nothing reads them and stay, with the reason, when something does', async () => {
  const model = smallNet({ kernelSize: 1, padding: 'valid' });
  try {
    zero(model, 'c2', 'kernel', -2, [3]);
    const result = await removeDeadFilters(model, { remove: { c1: [2, 3] } });
    result.model.dispose();
    assert.deepEqual(result.layers, [{ layer: 'c1', before: 4, after: 3, removed: [3] }]);
    assert.deepEqual(result.kept, [{ layer: 'c1', channel: 2, reason: 'it is named for removal, but c1 still writes it and c2 still reads it' }]);
    await assert.rejects(removeDeadFilters(model, { remove: { nowhere: [0] } }), /cannot remove filters of nowhere: the model has no such layer/);
    await assert.rejects(removeDeadFilters(model, { remove: { c1: [4] } }), /cannot remove filters 4 of c1: it has 4/);
  } finally {
    model.dispose();
  }
});

test('a layer whose every filter is dead keeps one', async () => {
  const model = smallNet({ kernelSize: 1, padding: 'valid' });
  const x = tf.randomUniform([4, 6, 6, 2], 0, 1, 'float32', 4);
  try {
    zero(model, 'c2', 'kernel', -2, [0, 1, 2, 3]);
    const expected = predict(model, x);
    const result = await removeDeadFilters(model);
    try {
      // c2 then reads only zeros: with no bias its outputs are constant zeros, dead too.
      assert.deepEqual(result.layers, [{ layer: 'c1', before: 4, after: 1, removed: [1, 2, 3] }, { layer: 'c2', before: 3, after: 1, removed: [1, 2] }]);
      assert.deepEqual(result.kept, [{ layer: 'c1', channel: 0, reason: 'c1 needs at least one channel' }, { layer: 'c2', channel: 0, reason: 'c2 needs at least one channel' }]);
      assert.ok(maxDiff(predict(result.model, x), expected) <= 1e-5);
    } finally {
      result.model.dispose();
    }
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('a depthwise multiplier of 2 ties out-channels 2c and 2c+1 to in-channel c', async () => {
  const input = tf.input({ shape: [8, 8, 2] });
  let y = tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a' }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', name: 'dw' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'b' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, name: 'out' }).apply(y) as tf.SymbolicTensor });
  const x = tf.randomUniform([2, 8, 8, 2], 0, 1, 'float32', 5);
  try {
    zero(model, 'b', 'kernel', -2, [2, 3, 4]);
    const expected = predict(model, x);
    const result = await removeDeadFilters(model);
    try {
      // Rows 2 and 3 are a's channel 1 (removed); row 4 alone is half of channel 2 (kept, and b
      // still reads it, so no layer is dead on it: nothing to report).
      assert.deepEqual(result.layers, [{ layer: 'a', before: 3, after: 2, removed: [1] }]);
      assert.equal(width(result.model, 'dw'), 4);
      assert.deepEqual(result.kept, []);
      assert.ok(maxDiff(predict(result.model, x), expected) <= 1e-5);
    } finally {
      result.model.dispose();
    }
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('a SeparableConv2D reader (Inception) loses the depthwise channel and the pointwise rows of a removed filter', async () => {
  const { model } = await openModel(path.join(repoRoot, 'test/fixtures/zoo/inception.keras'));
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 6);
  try {
    zero(model, 'mixed2_3x3_sep', 'pointwise_kernel', -2, [0, 5]);
    const expected = predict(model, x);
    const result = await removeDeadFilters(model);
    try {
      assert.deepEqual(result.layers, [{ layer: 'mixed2_3x3_reduce', before: 32, after: 30, removed: [0, 5] }]);
      const shapes = layerById(result.model, 'mixed2_3x3_sep').weights.map((w) => w.shape);
      assert.deepEqual(shapes, [[3, 3, 30, 1], [1, 1, 30, 48], [48]]);
      assert.ok(maxDiff(predict(result.model, x), expected) <= 1e-4);
    } finally {
      result.model.dispose();
    }
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('a nested Sequential head (Teachable Machine shape) gets the narrower input width', async () => {
  const { model } = await openModel(path.join(repoRoot, 'test/fixtures/zoo/tfjs/teachable/model.json'));
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 8);
  try {
    zero(model, 'sequential_2/dense_Dense1', 'kernel', 0, [0, 1, 2, 3]);
    const expected = predict(model, x);
    const result = await removeDeadFilters(model);
    try {
      assert.deepEqual(result.layers.map((l) => [l.layer, l.after]), [['sequential_1/model1/Conv_1', 124]]);
      assert.deepEqual(layerById(result.model, 'sequential_2/dense_Dense1').weights[0]!.shape, [124, 100]);
      // Conv_1 1·1·32, Conv_1_bn 4, dense_Dense1 rows 100, per channel.
      assert.equal(params(model) - params(result.model), 4 * (32 + 4 + 100));
      assert.ok(maxDiff(predict(result.model, x), expected) <= 1e-4);
    } finally {
      result.model.dispose();
    }
  } finally {
    x.dispose();
    model.dispose();
  }
});
