// Matching the constructors of a real parsed source to the layers of the models it saves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSourceLayers } from '../../../src/extension/source/index';
import { matchCallsToModels } from '../../../src/extension/source/match';
import { parser } from './installedGrammars';

const repo = path.resolve(__dirname, '../../..');
const example = ['conv1_input', ...[1, 2, 3, 4, 5, 6].flatMap((i) => [`conv${i}`, `bn${i}`, `relu${i}`, ...(i % 2 === 0 ? [`pool${i}`] : [])]), 'flatten', 'output'];

/** A fake model per path whose layers are `layersOf[path]`. */
function models(layersOf: Record<string, string[]>) {
  const load = async (p: string) => (layersOf[p] ? { path: p, layers: new Map(layersOf[p]!.map((n) => [n, `${p}#${n}`])) } : undefined);
  return { load };
}

test('model.py saved in three formats: every constructor gets one match, from the first format that has it', async () => {
  const { layers } = await readSourceLayers(parser, fs.readFileSync(path.join(repo, 'examples/fashion-vgg/model.py'), 'utf8'), 'python');
  const files = ['fashion-vgg.keras', 'fashion-vgg.h5', 'model.json'];
  const { load } = models({ 'fashion-vgg.keras': example, 'fashion-vgg.h5': example, 'model.json': example.slice(1) });
  const matches = await matchCallsToModels(layers, files, async () => false, load);
  assert.equal(matches.length, 23, 'keras.Input() is auto-named input_layer, a name the example does not have');
  assert.ok(matches.every((m) => m.model.path === 'fashion-vgg.keras'));
  assert.equal(matches.find((m) => m.call.layerName === 'conv5')?.layer, 'fashion-vgg.keras#conv5');
});

test('a model with a prune run speaks first', async () => {
  const { layers } = await readSourceLayers(parser, fs.readFileSync(path.join(repo, 'examples/fashion-vgg/model.py'), 'utf8'), 'python');
  const { load } = models({ 'fashion-vgg.keras': example, 'model.json': example.slice(1) });
  const matches = await matchCallsToModels(layers, ['fashion-vgg.keras', 'model.json'], async (p) => p === 'model.json', load);
  assert.equal(matches.length, 23);
  assert.ok(matches.every((m) => m.model.path === 'model.json'));
});

test('one file saving two different models: each constructor goes to the model with its name; unknown names get nothing', async () => {
  const text = [
    'from keras import layers, Sequential',
    'encoder = Sequential([layers.Conv2D(8, 3), layers.Conv2D(8, 3), layers.Flatten()])',
    'encoder.save("encoder.keras")',
    'head = Sequential([layers.Dense(10), layers.Dense(2, name="gone")])',
    'head.save("head.h5")',
  ].join('\n');
  const { layers, savePaths } = await readSourceLayers(parser, text, 'python');
  assert.deepEqual(savePaths, ['encoder.keras', 'head.h5']);
  const { load } = models({ 'encoder.keras': ['conv2d', 'conv2d_1', 'flatten'], 'head.h5': ['dense', 'probs'] });
  const matches = await matchCallsToModels(layers, savePaths, async () => false, load);
  assert.deepEqual(matches.map((m) => `${m.call.layerName}@${m.model.path}`), ['conv2d@encoder.keras', 'conv2d_1@encoder.keras', 'flatten@encoder.keras', 'dense@head.h5']);
});

test('a model that cannot be read (undefined) is skipped', async () => {
  const { layers } = await readSourceLayers(parser, 'from keras import layers\nx = layers.Dense(3)\n', 'python');
  const { load } = models({ 'good.h5': ['dense'] });
  const matches = await matchCallsToModels(layers, ['broken.keras', 'good.h5'], async () => false, load);
  assert.deepEqual(matches.map((m) => m.model.path), ['good.h5']);
});
