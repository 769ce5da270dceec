// The TF.js naming rule against TensorFlow.js itself: the names predicted for the integration
// fixture's tf.layers code are the names tfjs-layers gives when the code runs (in this fresh
// process, as in a person's own run), and each factory builds the class the table says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSourceLayers } from '../../../src/extension/source/index';
import { TFJS_LAYER_FACTORIES } from '../../../src/extension/source/tfjsFactories';
import { parser } from './installedGrammars';

const fixture = path.resolve(__dirname, '../../integration/suite/fixtures/source/tfjs_cnn.mjs');

// First in this file: tfjs-layers' name counters are per process and start at zero here.
test('the names predicted from tfjs_cnn.mjs are the names tfjs-layers gives its layers', async () => {
  const predicted = (await readSourceLayers(parser, fs.readFileSync(fixture, 'utf8'), 'javascript')).layers.map((l) => l.layerName);
  const { buildModel } = (await import(fixture)) as { buildModel(): tf.LayersModel };
  const model = buildModel();
  try {
    assert.deepEqual(predicted, model.layers.map((l) => l.name));
    assert.ok(predicted.includes('conv2d_Conv2D2') && predicted.includes('wide'), JSON.stringify(predicted));
  } finally {
    model.dispose();
  }
});

test('every tf.layers factory in the table builds the class the table names', () => {
  const args = { units: 2, filters: 2, kernelSize: 1, poolSize: 1, rate: 0.5, targetShape: [1], dims: [1], n: 1, inputDim: 2, outputDim: 2, inputShape: [2], scale: 1, height: 2, width: 2, numTokens: 2, size: [1, 1], factor: 0.1, cropping: 1, axis: -1 };
  const factories = tf.layers as unknown as Record<string, (config: object) => tf.layers.Layer>;
  const wrong: string[] = [];
  for (const [factory, className] of Object.entries(TFJS_LAYER_FACTORIES)) {
    const extra = { cell: tf.layers.simpleRNNCell({ units: 2 }), layer: tf.layers.dense({ units: 1 }) };
    const built = factories[factory]?.({ ...args, ...extra }).getClassName();
    if (built !== className) wrong.push(`${factory}: table ${className}, tfjs ${built}`);
  }
  assert.deepEqual(wrong, []);
  const missing = Object.keys(factories).filter((k) => /^[a-z]/.test(k) && k !== 'input' && !(k in TFJS_LAYER_FACTORIES));
  assert.deepEqual(missing, [], 'tf.layers factories the table lacks');
});
