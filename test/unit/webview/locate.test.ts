import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { locateModelJsonLayers, offsetToPosition } from '../../../src/extension/editor/locate';
import { publicSkip } from '../formats/helpers';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const fixtures = path.resolve(repoRoot, '../shared/fixtures/public');

test('finds every layer entry of a real one-line TF.js model.json', { skip: publicSkip }, () => {
  const text = readFileSync(path.join(fixtures, 'mnist-tfjs-small/model.json'), 'utf8');
  const layers = locateModelJsonLayers(text);
  assert.deepEqual(
    layers.map((l) => `${l.className}:${l.name}`),
    ['InputLayer:conv2d_6_input', 'Conv2D:conv2d_6', 'MaxPooling2D:max_pooling2d_4', 'Conv2D:conv2d_7', 'MaxPooling2D:max_pooling2d_5', 'Dropout:dropout_3', 'Flatten:flatten_3', 'Dense:dense_4', 'Dense:dense_5'],
  );
  for (const l of layers) {
    assert.equal(text[l.offset], '{');
    assert.equal(text.slice(l.nameOffset, l.nameOffset + l.name.length + 2), `"${l.name}"`);
  }
  // weightsManifest names ("conv2d_6/kernel") are not layer entries
  assert.ok(!layers.some((l) => l.name.includes('/')));
});

test('pretty-printed: each layer entry lands on its own line', { skip: publicSkip }, () => {
  const text = JSON.stringify(JSON.parse(readFileSync(path.join(fixtures, 'mnist-tfjs-keras-example/model.json'), 'utf8')), null, 2);
  const layers = locateModelJsonLayers(text);
  assert.equal(layers.filter((l) => l.className === 'Conv2D').length, 2);
  const lines = layers.map((l) => offsetToPosition(text, l.offset).line);
  assert.equal(new Set(lines).size, lines.length);
  const first = offsetToPosition(text, layers[0].offset);
  assert.match(text.split('\n')[first.line].slice(first.character), /^\{/);
});

test('Keras 3 config.json: nested functional model, inbound nodes ignored', () => {
  const config = {
    module: 'keras', class_name: 'Functional',
    config: {
      name: 'outer',
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { name: 'input_layer', batch_shape: [null, 28, 28, 1] }, inbound_nodes: [] },
        { module: 'keras', class_name: 'Sequential', config: { name: 'block', layers: [{ class_name: 'Conv2D', config: { name: 'conv3', dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } } } }] }, inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: ['input_layer', 0, 0] } }] }] },
        { class_name: 'Dense', config: { name: 'logits' } },
      ],
    },
  };
  const names = locateModelJsonLayers(JSON.stringify(config, null, 1)).map((l) => l.name);
  assert.deepEqual(names, ['input_layer', 'block', 'conv3', 'logits']);
});

test('invalid JSON yields no entries rather than an exception', () => {
  assert.deepEqual(locateModelJsonLayers('{"modelTopology": {"layers": [ {"class_name": "Dense", '), []);
});
