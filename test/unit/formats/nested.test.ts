// A model read from a file owns its nested models: disposing it frees their weights too (tfjs
// counts a nested model once when built and once per call, so they stayed in memory before).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../../../src/engine/formats/index';
import { repoRoot } from './helpers';

for (const file of ['nested.keras', 'nested.h5', 'tfjs/teachable/model.json']) {
  test(`${file}: disposing the model frees every tensor, nested models' included`, async () => {
    const before = tf.memory().numTensors;
    const { model } = await openModel(path.join(repoRoot, 'test/fixtures/zoo', file));
    assert.ok(tf.memory().numTensors > before);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
}
