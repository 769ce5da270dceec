import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../src/engine/backend';
import { quietContext } from '../../../src/engine/jobs/context';
import { cachedFeatures, FeatureExtractor, featureSpec, streamedFeatures } from '../../../src/engine/sfp/features';
import { featureWorkerUseful } from '../../../src/engine/sfp/featureWorker';
import { analysableBlocks, modelGraph } from '../../../src/engine/sfp/graph';
import { patchDataset, tinyVgg } from './helpers';

test('the helper thread computes the same features, in the same order, as the main thread (wasm)', async () => {
  await useBackend('wasm');
  process.env['QUENCH_SFP_THREADS'] = '2';
  try {
    assert.ok(featureWorkerUseful());
    const model = tinyVgg(6);
    const graph = modelGraph(model);
    const specs = analysableBlocks(graph).map((b) => featureSpec(b, 2));
    const data = patchDataset(530, 6, 9); // 6 batches, the last one short
    const plain = new FeatureExtractor(model, specs);
    const single = await cachedFeatures(plain, data, 0, 530, quietContext(), () => undefined);
    const before = tf.memory().numTensors;
    const helped = new FeatureExtractor(model, specs);
    await helped.startHelper(quietContext());
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
    delete process.env['QUENCH_SFP_THREADS'];
  }
});
