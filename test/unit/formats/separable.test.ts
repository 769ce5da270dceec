// tfjs 4.22's SeparableConv2D.getConfig leaves depth_multiplier out: every writer restores it from
// the depthwise kernel, or a model with multiplier 2 would come back as a different network.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel, saveModel } from '../../../src/engine/formats/index';
import type { ModelFormat } from '../../../src/protocol/report';
import { maxAbsDiff, tempDir } from './helpers';

test('a SeparableConv2D with depth multiplier 2 survives every writer', async (t) => {
  const dir = tempDir(t);
  const input = tf.input({ shape: [8, 8, 3] });
  const output = tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'sep' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 3);
  const expected = (model.predict(x) as tf.Tensor).dataSync();
  const targets: [ModelFormat, string][] = [['tfjs-layers', 'tfjs/model.json'], ['keras-h5', 'sep.h5'], ['keras-v3', 'sep.keras']];
  for (const [format, name] of targets) {
    const file = path.join(dir, name);
    await saveModel(model, file, format);
    const back = await openModel(file);
    assert.deepEqual(back.model.getLayer('sep').getWeights()[0]!.shape, [3, 3, 3, 2], `${format}: depthwise kernel`);
    assert.ok(maxAbsDiff((back.model.predict(x) as tf.Tensor).dataSync(), expected) < 1e-6, format);
    back.model.dispose();
  }
  model.dispose();
  x.dispose();
});
