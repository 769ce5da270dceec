// From save paths in code to the workspace's model files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { linkSavedModels, savedFileCandidates } from '../../../src/extension/source/savePaths';

const ws = path.resolve('/ws');
const p = (...parts: string[]) => path.join(ws, ...parts);

test('a save path resolves against the script folder, then each workspace folder; a folder means its model.json', () => {
  assert.deepEqual(savedFileCandidates('net.keras', [p('src'), ws]), [p('src/net.keras'), p('net.keras')]);
  assert.deepEqual(savedFileCandidates('./web', [p('src')]), [p('src/web/model.json')]);
  assert.deepEqual(savedFileCandidates('.', [p('examples/fashion-vgg')]), [p('examples/fashion-vgg/model.json')]);
  assert.deepEqual(savedFileCandidates('file://./tfjs_cnn', [p('a')]), [p('a/tfjs_cnn/model.json')]);
  assert.deepEqual(savedFileCandidates('out/model.json', [p('a')]), [p('a/out/model.json')]);
  assert.deepEqual(savedFileCandidates('../models/net.H5', [p('a/b')]), [p('a/models/net.H5')]);
  assert.deepEqual(savedFileCandidates(p('abs/net.h5'), [p('a')]), [p('abs/net.h5')]);
  assert.deepEqual(savedFileCandidates('localstorage://my-model', [p('a')]), []);
  assert.deepEqual(savedFileCandidates('indexeddb://m', [p('a')]), []);
  assert.deepEqual(savedFileCandidates('', [p('a')]), []);
});

test('a source file links the known models it saves, in save order, each once', () => {
  const known = new Set([p('ex/fashion-vgg.keras'), p('ex/fashion-vgg.h5'), p('ex/model.json'), p('models/run.keras'), p('other/model.json')]);
  const source = p('ex/model.py');
  assert.deepEqual(linkSavedModels(['fashion-vgg.keras', 'fashion-vgg.h5', '.', 'fashion-vgg.keras', 'missing.keras'], source, [ws], known), [
    p('ex/fashion-vgg.keras'),
    p('ex/fashion-vgg.h5'),
    p('ex/model.json'),
  ]);
  // Run from the workspace root: the path is relative to it, not to the script.
  assert.deepEqual(linkSavedModels(['models/run.keras'], p('scripts/train.py'), [ws], known), [p('models/run.keras')]);
  assert.deepEqual(linkSavedModels(['web_model'], source, [ws], known), []);
});
