import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../src/engine/backend';
import { quietContext } from '../../../src/engine/core/context';
import { cachedFeatures, FeatureExtractor, featureSpec, streamedFeatures } from '../../../src/engine/sfp/features';
import { helperThreadUseful } from '../../../src/engine/infer/forwardWorker';
import { foldForInference } from '../../../src/engine/infer/fold';
import { mulberry32 } from '../../../src/engine/core/random';
import { analysableUnits, modelGraph } from '../../../src/engine/sfp/graph';
import { patchDataset, tinyVgg } from './helpers';

test('the helper thread computes the same features, in the same order, as the main thread (wasm, BatchNorm folded)', async () => {
  await useBackend('wasm');
  try {
    const model = tinyVgg(6);
    randomiseBatchNorm(model);
    const graph = modelGraph(model);
    const specs = analysableUnits(graph).map((b) => featureSpec(b, 2));
    const data = patchDataset(530, 6, 9); // 6 batches, the last one short
    const before = tf.memory().numTensors;
    // One thread (BatchNorm folded the same way) as the reference.
    process.env['QUENCH_THREADS'] = '1';
    const plain = new FeatureExtractor(model, specs);
    await plain.prepare(quietContext());
    const single = await cachedFeatures(plain, data, 0, 530, quietContext(), () => undefined);
    await plain.close();
    process.env['QUENCH_THREADS'] = '2';
    assert.ok(helperThreadUseful());
    const helped = new FeatureExtractor(model, specs);
    await helped.prepare(quietContext());
    try {
      const both = await cachedFeatures(helped, data, 0, 530, quietContext(), () => undefined);
      specs.forEach((_, i) => assert.deepEqual(both.cached!.tables[i], single.cached!.tables[i], `features of ${specs[i].block.name}`));
      assert.deepEqual(both.cached!.labels, single.cached!.labels);
      // Streamed batches come back in dataset order with exact indices.
      let next = 0;
      for await (const batch of streamedFeatures(helped, data, 0, 530, quietContext(), true).batches(100)) {
        assert.deepEqual(Array.from(batch.indices), Array.from({ length: batch.labels.length }, (_, k) => next + k));
        const values = await batch.features[1].data();
        assert.deepEqual(values, single.cached!.tables[1].subarray(next * specs[1].size, (next + batch.labels.length) * specs[1].size));
        next += batch.labels.length;
        batch.features.forEach((t) => t.dispose());
      }
      assert.equal(next, 530);
    } finally {
      await helped.close();
    }
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  } finally {
    delete process.env['QUENCH_THREADS'];
  }
});

test('BatchNorm and ReLU folded into the convolutions give the same features as the model (up to rounding), never past an observed layer', async () => {
  await useBackend('wasm');
  const model = tinyVgg(6);
  randomiseBatchNorm(model);
  const graph = modelGraph(model);
  const specs = analysableUnits(graph).map((b) => featureSpec(b, null));
  const data = patchDataset(120, 6, 4);
  const before = tf.memory().numTensors;
  const folded = await foldForInference(model, { observe: ['bn2'] });
  assert.ok(folded, 'the tiny VGG has Conv2D → BatchNormalization pairs');
  const classes = folded.model.layers.map((l) => l.getClassName());
  assert.deepEqual(classes.filter((c) => c === 'BatchNormalization'), []);
  assert.equal(folded.layerName('bn1'), 'conv1');
  // relu1 fused into conv1; relu2 kept because bn2's own output is observed.
  assert.equal(folded.layerName('relu1'), 'conv1');
  assert.equal(folded.layerName('bn2'), 'conv2');
  assert.equal(folded.layerName('relu2'), 'relu2');
  assert.deepEqual(folded.model.layers.filter((l) => l.getClassName() === 'ReLU').map((l) => l.name), ['relu2']);
  assert.equal((folded.model.getLayer('conv1').getConfig() as { activation: string }).activation, 'relu');
  assert.equal((folded.model.getLayer('conv2').getConfig() as { activation: string }).activation, 'linear');
  folded.dispose();
  process.env['QUENCH_THREADS'] = '1';
  try {
    const original = await cachedFeatures(new FeatureExtractor(model, specs), data, 0, 120, quietContext(), () => undefined);
    const extractor = new FeatureExtractor(model, specs);
    await extractor.prepare(quietContext());
    const fast = await cachedFeatures(extractor, data, 0, 120, quietContext(), () => undefined);
    await extractor.close();
    specs.forEach((spec, i) => {
      const a = original.cached!.tables[i];
      const b = fast.cached!.tables[i];
      let scale = 0;
      for (const v of a) scale = Math.max(scale, Math.abs(v));
      assert.ok(scale > 0.1, `${spec.block.name}: features are not trivial`);
      for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) <= 1e-4 * scale, `${spec.block.name}[${k}]: ${a[k]} vs ${b[k]}`);
    });
  } finally {
    delete process.env['QUENCH_THREADS'];
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

/** Non-trivial BatchNorm statistics (a fresh layer is the identity up to ε). */
function randomiseBatchNorm(model: tf.LayersModel): void {
  const random = mulberry32(17);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const values = layer.getWeights().map((w, k) => tf.tensor(Float32Array.from({ length: w.size }, () => (k === 3 ? 0.2 + random() : k === 0 ? 0.5 + random() : random() - 0.5)), w.shape));
    layer.setWeights(values);
    values.forEach((v) => v.dispose());
  }
}
