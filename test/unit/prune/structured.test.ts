// Structured removal on real Keras-made graphs (test/fixtures/zoo, METHOD.md §15.5): coupled
// channels zeroed by hand — through an Add with a projection, through a depthwise kernel, at a
// Concatenate offset, across a squeeze-excite gate, inside a nested model — are removed as one
// group; parameters and MACs drop by the amounts the layer shapes give, the narrower model predicts
// what the masked one predicted and survives a .keras round trip; a group only half dead is kept
// with its reason.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel, saveModel } from '../../../src/engine/formats';
import { layerById } from '../../../src/engine/graph';
import { removeDeadFilters, type StructuredResult } from '../../../src/engine/prune/structured';
import { layerStats } from '../../../src/engine/stats';
import { repoRoot } from '../formats/helpers';
import { edit, weight, zero } from './weightEdits';

const zoo = (file: string): string => path.join(repoRoot, 'test/fixtures/zoo', file);
let dir: string;
let batch: tf.Tensor;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'quench-structured-'));
  batch = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 7);
});
after(async () => {
  batch.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});




/** Makes BatchNorm `id` output `value` on `channels` when its input there is zero (beta = γμ/σ + value). */
function bnOutputOnZero(model: tf.LayersModel, id: string, channels: number[], value: number): void {
  const gamma = weight(model, id, 'gamma').values;
  const mean = weight(model, id, 'moving_mean').values;
  const variance = weight(model, id, 'moving_variance').values;
  const epsilon = Number((layerById(model, id).getConfig() as Record<string, unknown>)['epsilon']);
  edit(model, id, 'beta', (beta) => {
    for (const c of channels) beta[c] = (gamma[c]! * mean[c]!) / Math.sqrt(variance[c]! + epsilon) + value;
  });
}

function predict(model: tf.LayersModel): Float32Array {
  return tf.tidy(() => (model.predict(batch) as tf.Tensor).dataSync() as Float32Array);
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

function totals(model: tf.LayersModel): { params: number; macs: number } {
  const stats = layerStats(model);
  return { params: stats.reduce((s, l) => s + l.params, 0), macs: stats.reduce((s, l) => s + l.macs, 0) };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Opens a zoo model, lets `mask` zero it by hand, removes what is dead and checks: the drop in
 * parameters and MACs, predictions equal to the masked model's, the input model untouched, and the
 * same predictions after saving as .keras and reading back. Returns the result for more checks.
 */
async function removeAndCheck(
  file: string,
  mask: (model: tf.LayersModel) => void,
  drop: { params: number; macs: number },
  check: (result: StructuredResult, masked: tf.LayersModel) => void,
): Promise<void> {
  const { model } = await openModel(zoo(file));
  try {
    mask(model);
    const expected = predict(model);
    const before = totals(model);
    const tensors = tf.memory().numTensors;
    const result = await removeDeadFilters(model);
    // Removal leaves nothing behind but the new model's weights. (Disposing a model with a nested
    // Functional leaves the nested weights in tfjs, so the count is taken here, not after dispose.)
    assert.equal(tf.memory().numTensors, tensors + result.model.weights.length, 'no tensor leaked');
    try {
      const afterTotals = totals(result.model);
      assert.deepEqual({ params: before.params - afterTotals.params, macs: before.macs - afterTotals.macs }, drop);
      const diff = maxDiff(predict(result.model), expected);
      assert.ok(diff <= 1e-4, `max |Δ| vs the masked model ${diff}`);
      assert.ok(maxDiff(predict(model), expected) === 0, 'the input model is unchanged');
      check(result, model);
      const out = path.join(dir, file);
      await saveModel(result.model, out, 'keras-v3');
      const reread = await openModel(out);
      try {
        const rediff = maxDiff(predict(reread.model), expected);
        assert.ok(rediff <= 1e-4, `max |Δ| after the .keras round trip ${rediff}`);
        assert.equal(totals(reread.model).params, afterTotals.params);
      } finally {
        reread.model.dispose();
      }
    } finally {
      result.model.dispose();
    }
  } finally {
    model.dispose();
  }
}

const widthOf = (model: tf.LayersModel, id: string): number => {
  const shape = (layerById(model, id).outputShape as number[]);
  return shape[shape.length - 1]!;
};

test('ResNet: both convs writing into an Add and the projection lose out-channels 0..3 together', async () => {
  const s = 4;
  await removeAndCheck(
    'resnet.keras',
    (model) => {
      // The writers of block2_add's channels 0..3 are zero; each BN then outputs −1, so relu(−2) = 0.
      zero(model, 'block2_2_conv', 'kernel', -1, range(s));
      zero(model, 'block2_proj_conv', 'kernel', -1, range(s));
      bnOutputOnZero(model, 'block2_2_bn', range(s), -1);
      bnOutputOnZero(model, 'block2_proj_bn', range(s), -1);
    },
    {
      // block2_2_conv 3·3·24, block2_proj_conv 1·1·12, two BNs 4 + 4, readers block3_1_conv 3·3·24
      // and block3_proj_conv 1·1·24, per channel.
      params: s * (216 + 12 + 8 + 216 + 24),
      // 14×14 outputs of block2_2_conv (3·3·24) and block2_proj_conv (12); 7×7 of the readers.
      macs: s * (196 * 216 + 196 * 12 + 49 * 216 + 49 * 24),
    },
    (result) => {
      assert.deepEqual(result.layers.map((l) => [l.layer, l.before, l.after]), [['block2_2_conv', 24, 20], ['block2_proj_conv', 24, 20]]);
      assert.deepEqual(result.layers[0]!.removed, range(s));
      assert.equal(widthOf(result.model, 'block2_add'), 20);
      assert.equal(widthOf(result.model, 'block3_1_conv'), 24);
    },
  );
});

test('ResNet: a channel one writer into the Add still writes is kept, with the reason', async () => {
  const { model } = await openModel(zoo('resnet.keras'));
  try {
    zero(model, 'block2_2_conv', 'kernel', -1, [5]);
    const result = await removeDeadFilters(model);
    try {
      assert.deepEqual(result.layers, []);
      assert.equal(widthOf(result.model, 'block2_add'), 24);
      const kept = result.kept.find((k) => k.layer === 'block2_2_conv' && k.channel === 5);
      assert.ok(kept, `kept: ${JSON.stringify(result.kept)}`);
      assert.match(kept.reason, /block2_2_conv writes zeros into it, but block2_proj_conv still writes it and block3_1_conv, block3_proj_conv still read it/);
    } finally {
      result.model.dispose();
    }
  } finally {
    model.dispose();
  }
});

test('MobileNetV2: expand-conv channels go with their depthwise kernels; the constant after them folds into the BN mean', async () => {
  const s = 5;
  await removeAndCheck(
    'mobilenetv2.keras',
    (model) => {
      // Zero expand filters whose BN gives −1 (ReLU6 → 0): the depthwise then outputs 0 and its BN a
      // nonzero constant relu6(β − γμ/σ) that block_1_project (1×1, no bias) turns into a shift of
      // block_1_project_BN's mean.
      zero(model, 'block_1_expand', 'kernel', -1, range(s));
      bnOutputOnZero(model, 'block_1_expand_BN', range(s), -1);
      bnOutputOnZero(model, 'block_1_depthwise_BN', range(s), 0.5);
    },
    {
      // block_1_expand 1·1·24, its BN 4, depthwise 3·3, its BN 4, block_1_project rows 24.
      params: s * (24 + 4 + 9 + 4 + 24),
      // All at 14×14: expand 24, depthwise 9, project 24.
      macs: s * 196 * (24 + 9 + 24),
    },
    (result, masked) => {
      assert.deepEqual(result.layers.map((l) => [l.layer, l.before, l.after]), [['block_1_expand', 72, 67]]);
      assert.equal(widthOf(result.model, 'block_1_depthwise'), 67);
      const mean = (m: tf.LayersModel) => weight(m, 'block_1_project_BN', 'moving_mean').values;
      assert.ok(maxDiff(mean(result.model), mean(masked)) > 0, 'the constant moved block_1_project_BN\'s mean');
    },
  );
});

test('Inception: a branch\'s channels leave the Concatenate at their offset; their constant folds into the readers\' biases', async () => {
  const s = 3;
  await removeAndCheck(
    'inception.keras',
    (model) => zero(model, 'mixed1_pool_proj', 'kernel', -1, range(s)),
    {
      // mixed1_pool_proj 1·1·32 + bias, mixed1_bn 4, readers mixed2_1x1 32, mixed2_3x3_reduce 32,
      // mixed2_pool_proj 16 (all 1×1), per channel.
      params: s * (33 + 4 + 32 + 32 + 16),
      macs: s * (196 * 32 + 49 * (32 + 32 + 16)),
    },
    (result, masked) => {
      assert.deepEqual(result.layers.map((l) => [l.layer, l.before, l.after]), [['mixed1_pool_proj', 16, 13]]);
      // The pool branch sits at offset 16 + 32 = 48 of mixed1_concat: mixed1_bn loses 48..50.
      const gamma = (m: tf.LayersModel) => weight(m, 'mixed1_bn', 'gamma').values;
      assert.deepEqual([...gamma(result.model)], [...gamma(masked)].filter((_, c) => c < 48 || c >= 48 + s));
      const bias = (m: tf.LayersModel) => weight(m, 'mixed2_1x1', 'bias').values;
      assert.ok(maxDiff(bias(result.model), bias(masked)) > 0, 'relu(bias) of the removed filters moved into mixed2_1x1\'s bias');
    },
  );
});

test('squeeze-excite: a trunk channel goes with its gate width (se_expand filter, se_reduce input, Reshape target)', async () => {
  const s = 3;
  await removeAndCheck(
    'squeeze_excite.keras',
    (model) => {
      zero(model, 'block1a_project_conv', 'kernel', -2, range(s));
      zero(model, 'block1a_se_reduce', 'kernel', -2, range(s));
    },
    {
      // block1a_expand_conv 24, expand_bn 4, dwconv 9, bn 4, se_reduce rows 6, se_expand 6 + bias,
      // project_conv rows 32, per channel.
      params: s * (24 + 4 + 9 + 4 + 6 + 7 + 32),
      macs: s * (196 * 24 + 196 * 9 + 6 + 6 + 196 * 32),
    },
    (result) => {
      assert.deepEqual(result.layers.map((l) => [l.layer, l.before, l.after]), [['block1a_expand_conv', 72, 69], ['block1a_se_expand', 72, 69]]);
      assert.deepEqual(layerById(result.model, 'block1a_se_reshape').outputShape, [null, 1, 1, 69]);
    },
  );
});

test('nested: a channel inside the nested base, folded through Flatten into the head\'s Dense rows', async () => {
  const s = 3;
  await removeAndCheck(
    'nested.keras',
    (model) => zero(model, 'base/base_conv2', 'kernel', -1, [1, 4, 9]),
    {
      // base_conv2 3·3·16, base_bn2 4, head_dense rows 7·7 positions × 10, per channel.
      params: s * (144 + 4 + 490),
      macs: s * (196 * 144 + 490),
    },
    (result, masked) => {
      assert.deepEqual(result.layers.map((l) => [l.layer, l.removed]), [['base/base_conv2', [1, 4, 9]]]);
      // NHWC flatten: row p·32 + c goes for c ∈ {1, 4, 9} at each of the 49 positions.
      const kernel = (m: tf.LayersModel) => weight(m, 'head_dense', 'kernel').values;
      const rows = range(49 * 32).filter((r) => ![1, 4, 9].includes(r % 32));
      const old = kernel(masked);
      assert.deepEqual([...kernel(result.model)], rows.flatMap((r) => [...old.subarray(r * 10, r * 10 + 10)]));
    },
  );
});
