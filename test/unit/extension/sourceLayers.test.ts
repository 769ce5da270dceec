// Layer constructors found by the real tree-sitter parser in Python and JS/TS, and the names Keras
// and TF.js give them (explicit names, auto-names with per-class counters, unknowable ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSourceLayers } from '../../../src/extension/source/index';
import { autoName, kerasSnakeCase, tfjsSnakeCase } from '../../../src/extension/source/naming';
import type { SourceLanguage } from '../../../src/extension/source/parser';
import { parser } from './installedGrammars';

const repo = path.resolve(__dirname, '../../..');

async function names(text: string, language: SourceLanguage = 'python'): Promise<(string | undefined)[]> {
  return (await readSourceLayers(parser, text, language)).layers.map((l) => l.layerName);
}

test("Keras's to_snake_case and counters: conv2d, conv2d_1; batch_normalization; depthwise_conv2d; re_lu", () => {
  const cases: [string, string][] = [
    ['Conv2D', 'conv2d'],
    ['BatchNormalization', 'batch_normalization'],
    ['DepthwiseConv2D', 'depthwise_conv2d'],
    ['ReLU', 're_lu'],
    ['MaxPooling2D', 'max_pooling2d'],
    ['GlobalAveragePooling2D', 'global_average_pooling2d'],
    ['Conv2DTranspose', 'conv2d_transpose'],
    ['InputLayer', 'input_layer'],
    ['PReLU', 'p_re_lu'],
  ];
  for (const [cls, snake] of cases) assert.equal(kerasSnakeCase(cls), snake, cls);
  assert.deepEqual([0, 1, 2].map((i) => autoName('keras', 'Conv2D', i)), ['conv2d', 'conv2d_1', 'conv2d_2']);
  assert.equal(tfjsSnakeCase('DepthwiseConv2D'), 'depthwise_conv2d');
  assert.deepEqual([0, 1].map((i) => autoName('tfjs', 'Conv2D', i)), ['conv2d_Conv2D1', 'conv2d_Conv2D2']);
});

test('the example model.py: all 23 layers by their explicit names, saved to the three example files', async () => {
  const text = fs.readFileSync(path.join(repo, 'examples/fashion-vgg/model.py'), 'utf8');
  const found = await readSourceLayers(parser, text, 'python');
  const layers = found.layers.filter((l) => l.className !== 'InputLayer');
  const blocks = [1, 2, 3, 4, 5, 6].flatMap((i) => [`conv${i}`, `bn${i}`, `relu${i}`, ...(i % 2 === 0 ? [`pool${i}`] : [])]);
  assert.deepEqual(layers.map((l) => l.layerName), [...blocks, 'flatten', 'output']);
  assert.deepEqual(found.savePaths, ['fashion-vgg.keras', 'fashion-vgg.h5', '.']);
  // Each constructor is located at its own line, where the lens goes.
  const conv5 = layers.find((l) => l.layerName === 'conv5')!;
  assert.ok(text.slice(conv5.start, conv5.end).startsWith('layers.Conv2D(128, 3'), text.slice(conv5.start, conv5.end));
});

test('every spelling of a Keras layer, with auto-names counted per class in source order', async () => {
  const text = [
    'import tensorflow as tf',
    'import keras',
    'from keras import layers',
    'from tensorflow.keras import layers as L',
    'import keras.layers as kl',
    'from keras.layers import Conv2D, Dense as D',
    'inputs = keras.Input((28, 28, 1))',
    'x = keras.layers.Conv2D(8, 3)(inputs)',
    'x = layers.Conv2D(8, 3)(x)',
    'x = tf.keras.layers.Conv2D(8, 3, name="named")(x)',
    'x = L.Conv2D(8, 3)(x)',
    'x = kl.BatchNormalization()(x)',
    'x = Conv2D(8, 3)(x)',
    'x = layers.MaxPool2D()(x)',
    'x = layers.Flatten()(x)',
    'outputs = D(10)(x)',
    'model = keras.Model(inputs, outputs)',
    'model.save("net.keras")',
  ].join('\n');
  assert.deepEqual(await names(text), ['input_layer', 'conv2d', 'conv2d_1', 'named', 'conv2d_2', 'batch_normalization', 'conv2d_3', 'max_pooling2d', 'flatten', 'dense']);
});

test('Sequential with model.add, a layer of another library, and calls that only look alike', async () => {
  const text = [
    'from tensorflow import keras',
    'from keras import layers',
    'import torch.nn as nn',
    'model = keras.Sequential()',
    'model.add(layers.Dense(4))',
    'model.add(keras.layers.Dense(4))',
    'block = nn.Linear(3, 4)',
    'model.add(layers.dense_like(4))',
    'print(layers.Dense)',
  ].join('\n');
  assert.deepEqual(await names(text), ['dense', 'dense_1']);
});

test('a loop, a comprehension or a class body may repeat a constructor: that class loses its auto-names from there on', async () => {
  const text = [
    'from keras import layers',
    'a = layers.Conv2D(8, 3)',
    'for f in (16, 32):',
    '    b = layers.Conv2D(f, 3)',
    'c = layers.Conv2D(8, 3)',
    'd = layers.Conv2D(8, 3, name="kept")',
    'heads = [layers.Dense(2) for _ in range(3)]',
    'e = layers.Dense(2)',
    'f = layers.ReLU()',
    'class Block(layers.Layer):',
    '    def __init__(self):',
    '        self.bn = layers.BatchNormalization()',
    'g = layers.BatchNormalization()',
  ].join('\n');
  assert.deepEqual(await names(text), ['conv2d', undefined, undefined, 'kept', undefined, undefined, 're_lu', undefined, undefined]);
});

test('a computed name (f-string, variable, **kwargs) is unknown and takes no auto-name', async () => {
  const text = [
    'from keras import layers',
    'i = 1',
    'a = layers.Conv2D(8, 3, name=f"conv{i}")',
    'b = layers.Conv2D(8, 3, name=prefix)',
    'c = layers.Conv2D(8, 3, **options)',
    "d = layers.Conv2D(8, 3, name='plain')",
    'e = layers.Conv2D(8, 3)',
  ].join('\n');
  assert.deepEqual(await names(text), [undefined, undefined, undefined, 'plain', 'conv2d']);
});

test('save paths: model.save, keras.saving.save_model, pathlib and os.path.join forms, the tensorflowjs converter', async () => {
  const text = [
    'import os',
    'from pathlib import Path',
    'HERE = Path(__file__).parent',
    'model.save("a.keras")',
    'model.save(filepath="b.h5", overwrite=True)',
    'keras.saving.save_model(model, HERE / "out" / "c.keras")',
    'tf.keras.models.save_model(model, os.path.join(os.path.dirname(__file__), "models", "d.h5"))',
    'tensorflowjs.converters.save_keras_model(model, "web_model")',
    'model.save(f"{name}.keras")',
    'model.save_weights("e.weights.h5")',
  ].join('\n');
  assert.deepEqual((await readSourceLayers(parser, text, 'python')).savePaths, ['a.keras', 'b.h5', 'out/c.keras', 'models/d.h5', 'web_model']);
});

test('TF.js in TypeScript: tf.layers factories named by class + counter, explicit and computed names, save URLs', async () => {
  const text = [
    "import * as tf from '@tensorflow/tfjs-node';",
    "import { layers } from '@tensorflow/tfjs';",
    'const model = tf.sequential();',
    'model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3 }));',
    "model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, name: 'second' }));",
    'model.add(layers.conv2d({ filters: 8, kernelSize: 3 }));',
    'model.add(tf.layers.maxPool2d({ poolSize: 2 }));',
    'model.add(tf.layers.dense({ units: 10, name: `out${k}` }));',
    'model.add(tf.layers.dense({ ...defaults }));',
    'model.add(tf.layers.dense(config));',
    'model.add(tf.layers.dense({ units: 10, "name": "probs" }));',
    '[1, 2].forEach(() => model.add(tf.layers.flatten()));',
    "await model.save('file://./out');",
    "await model.save(tf.io.fileSystem('web/model.json'));",
    'await model.save(`localstorage://${key}`);',
  ].join('\n');
  const found = await readSourceLayers(parser, text, 'typescript');
  assert.deepEqual(found.layers.map((l) => l.layerName), ['conv2d_Conv2D1', 'second', 'conv2d_Conv2D2', 'max_pooling2d_MaxPooling2D1', undefined, undefined, undefined, 'probs', undefined]);
  assert.equal(found.layers[8]!.className, 'Flatten');
  assert.deepEqual(found.savePaths, ['file://./out', 'web/model.json']);
});

test('constructor offsets are UTF-16 indices (a non-ASCII comment before them does not shift them)', async () => {
  const text = '# modèle à élaguer — ünïcode\nfrom keras import layers\nx = layers.Dense(3)\n';
  const [dense] = (await readSourceLayers(parser, text, 'python')).layers;
  assert.equal(text.slice(dense!.start, dense!.end), 'layers.Dense(3)');
});

test('a file with syntax errors still yields the constructors tree-sitter can place', async () => {
  const text = 'from keras import layers\nmodel = keras.Sequential([\n    layers.Conv2D(8, 3),\n    layers.Dense(3,\n';
  assert.deepEqual(await names(text), ['conv2d']);
});
