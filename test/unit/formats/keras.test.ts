import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { zipSync, unzipSync, strFromU8 } from 'fflate';
import * as tf from '@tensorflow/tfjs';
import { detectFormat, openModel, saveModel } from '../../../src/engine/formats/index';
import { EngineFailure } from '../../../src/engine/core/errors';
import { assertWeightsBitExact, kerasFixtures, maxAbsDiff, predictValues, tempDir } from './helpers';

interface Expected {
  inputShape: number[];
  inputs: number[];
  outputs: number[];
}
const expected = JSON.parse(readFileSync(path.join(kerasFixtures, 'expected.json'), 'utf8')) as Record<string, Expected>;

const cases = [
  { file: 'sequential_cnn.h5', format: 'keras-h5', params: 3 * 3 * 4 + 4 + 16 + 64 * 10 + 10 },
  { file: 'functional_branches.h5', format: 'keras-h5', params: 76 + 12 + 80 + 27 },
  { file: 'residual_v3.keras', format: 'keras-v3', params: 40 + 16 + 36 + 16 + 4 + 25 },
] as const;

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp, file: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EngineFailure, `expected EngineFailure, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.equal(error.file, file);
    assert.ok(error.message.includes(file), error.message);
    return true;
  });
}

for (const { file, format, params } of cases) {
  test(`${file}: predictions match the numpy reference; save -> open is bit-exact`, async (t) => {
    const dir = tempDir(t);
    const before = tf.memory().numTensors;
    const source = path.join(kerasFixtures, file);
    assert.equal((await detectFormat(source))?.id, format);
    const loaded = await openModel(source);
    assert.equal(loaded.format, format);
    assert.equal(loaded.model.countParams(), params);
    const reference = expected[file]!;
    const input = tf.tensor(reference.inputs, [3, ...reference.inputShape]);
    const predictions = predictValues(loaded.model, input);
    assert.ok(maxAbsDiff(predictions, reference.outputs) < 1e-4, `max diff ${maxAbsDiff(predictions, reference.outputs)}`);

    const out = path.join(dir, `copy${path.extname(file)}`);
    assert.deepEqual(await saveModel(loaded.model, out, format, { protectedFiles: loaded.files }), [out]);
    assert.deepEqual(readdirSync(dir), [path.basename(out)], 'no temp files left');
    const reopened = await openModel(out);
    assert.equal(maxAbsDiff(predictValues(reopened.model, input), predictions), 0);
    assertWeightsBitExact(loaded.model, reopened.model);
    input.dispose();
    loaded.model.dispose();
    reopened.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  });
}

test('a written .h5 has the Keras layout h5py reads (attrs, layer_names, weight_names, datasets)', async (t) => {
  const out = path.join(tempDir(t), 'net.h5');
  const loaded = await openModel(path.join(kerasFixtures, 'sequential_cnn.h5'));
  await saveModel(loaded.model, out, 'keras-h5');
  loaded.model.dispose();
  const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
cfg = json.loads(f.attrs['model_config'])
w = f['model_weights']
names = [n.decode() if hasattr(n, 'decode') else n for n in w.attrs['layer_names']]
bn = [n.decode() if hasattr(n, 'decode') else n for n in w['batch_normalization'].attrs['weight_names']]
print(json.dumps({'cls': cfg['class_name'], 'first': cfg['config']['layers'][0]['class_name'], 'backend': f.attrs['backend'],
  'names': names, 'bn': bn, 'kernel': list(w['conv2d'][bn[0].replace('batch_normalization', 'conv2d').replace('gamma', 'kernel')].shape)}))`;
  const info = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, out], { encoding: 'utf8' }));
  assert.deepEqual(info, {
    cls: 'Sequential',
    first: 'InputLayer',
    backend: 'tensorflow',
    names: ['conv2d_input', 'conv2d', 'batch_normalization', 'activation', 'max_pooling2d', 'flatten', 'dense'],
    bn: ['batch_normalization/gamma:0', 'batch_normalization/beta:0', 'batch_normalization/moving_mean:0', 'batch_normalization/moving_variance:0'],
    kernel: [3, 3, 1, 4],
  });
});

test('a written .keras is a zip with Keras 3 config, metadata and weights at Keras object paths', async (t) => {
  const out = path.join(tempDir(t), 'net.keras');
  const loaded = await openModel(path.join(kerasFixtures, 'residual_v3.keras'));
  await saveModel(loaded.model, out, 'keras-v3');
  loaded.model.dispose();
  const entries = unzipSync(readFileSync(out));
  assert.deepEqual(Object.keys(entries), ['metadata.json', 'config.json', 'model.weights.h5']);
  const config = JSON.parse(strFromU8(entries['config.json']!));
  assert.equal(config.class_name, 'Functional');
  const add = config.config.layers.find((l: { name: string }) => l.name === 'residual');
  assert.deepEqual(add.inbound_nodes[0].args[0].map((a: { config: { keras_history: unknown } }) => a.config.keras_history), [
    ['stem_relu', 0, 0],
    ['sep', 0, 0],
  ]);
  const weightsFile = path.join(path.dirname(out), 'w.h5');
  await fs.writeFile(weightsFile, entries['model.weights.h5']!);
  const shapes = execFileSync('/usr/bin/python3', ['-c', `import h5py,sys; f=h5py.File(sys.argv[1]); v=f['layers/batch_normalization/vars']; print(v.attrs['name'], [list(v[k].shape) for k in sorted(v)], f['layers/separable_conv2d/vars'].attrs['name'], list(f['layers/separable_conv2d/vars/1'].shape), f['vars'].attrs['name'])`, weightsFile], { encoding: 'utf8' });
  // Keras keys layers by class (snake case + counter), not by name, and records the name on `vars`.
  assert.equal(shapes.trim(), `stem_bn [[4], [4], [4], [4]] sep [1, 1, 4, 4] ${String(config.config.name)}`);
});

test('HDF5 that is not a Keras model, and a weights-only file, are named', async (t) => {
  const dir = tempDir(t);
  const plain = path.join(dir, 'data.h5');
  execFileSync('/usr/bin/python3', ['-c', `import h5py,sys; f=h5py.File(sys.argv[1],'w'); f['x']=[1,2,3]`, plain]);
  await rejectsWith(openModel(plain), 'bad-model', /not a Keras model/, plain);
  const weightsOnly = path.join(dir, 'weights.h5');
  execFileSync('/usr/bin/python3', ['-c', `import h5py,sys; f=h5py.File(sys.argv[1],'w'); f.attrs['layer_names']=[b'dense']`, weightsOnly]);
  await rejectsWith(openModel(weightsOnly), 'bad-model', /weights only/, weightsOnly);
  const notHdf5 = path.join(dir, 'fake.h5');
  await fs.writeFile(notHdf5, 'not an hdf5 file at all');
  await rejectsWith(openModel(notHdf5), 'unsupported', /not a model Quench can open/, notHdf5);
});

function rezip(file: string, change: (entries: Record<string, Uint8Array>) => void): Uint8Array {
  const entries = unzipSync(readFileSync(file));
  change(entries);
  return zipSync(entries);
}

test('.keras without config.json, with path traversal, or with an unknown layer is refused by name', async (t) => {
  const dir = tempDir(t);
  const source = path.join(kerasFixtures, 'residual_v3.keras');
  const noConfig = path.join(dir, 'no-config.keras');
  await fs.writeFile(noConfig, rezip(source, (e) => delete e['config.json']));
  await rejectsWith(openModel(noConfig), 'bad-model', /without config\.json/, noConfig);
  const traversal = path.join(dir, 'traversal.keras');
  await fs.writeFile(traversal, rezip(source, (e) => (e['../../evil.sh'] = new TextEncoder().encode('rm -rf /'))));
  await rejectsWith(openModel(traversal), 'bad-model', /points outside the archive/, traversal);
  const lambda = path.join(dir, 'lambda.keras');
  await fs.writeFile(
    lambda,
    rezip(source, (e) => {
      const config = JSON.parse(strFromU8(e['config.json']!));
      config.config.layers[1] = { ...config.config.layers[1], module: 'keras.layers', class_name: 'Lambda', config: { name: 'rescaling', function: { class_name: '__lambda__', config: { code: 'ZXZpbA==' } } } };
      e['config.json'] = new TextEncoder().encode(JSON.stringify(config));
    }),
  );
  await rejectsWith(openModel(lambda), 'unsupported', /layer "rescaling" \(Lambda\) is not supported/, lambda);
});

test('an .h5 whose weights do not fit the config names the layer', async (t) => {
  const broken = path.join(tempDir(t), 'broken.h5');
  await fs.copyFile(path.join(kerasFixtures, 'sequential_cnn.h5'), broken);
  execFileSync('/usr/bin/python3', ['-c', `import h5py,sys; f=h5py.File(sys.argv[1],'a'); del f['model_weights/dense/dense/kernel:0']; f['model_weights/dense/dense/kernel:0']=[[1.0]*10]*63`, broken]);
  await rejectsWith(openModel(broken), 'bad-model', /layer "dense" has shape \[63, 10\]|weight dense\/kernel:0 of layer "dense" has shape \[63, 10\]/, broken);
});

test('the tiny TF.js model converts to .h5 and .keras and back with identical predictions', async (t) => {
  const dir = tempDir(t);
  const tiny = await openModel(path.join(kerasFixtures, '../tiny/model.json'));
  const input = tf.tensor(Array.from({ length: 2 * 64 }, (_, i) => (i % 13) / 13), [2, 8, 8, 1]);
  const reference = predictValues(tiny.model, input);
  for (const [name, format] of [['tiny.h5', 'keras-h5'], ['tiny.keras', 'keras-v3']] as const) {
    const out = path.join(dir, name);
    await saveModel(tiny.model, out, format);
    const converted = await openModel(out);
    assert.equal(converted.format, format);
    assert.equal(maxAbsDiff(predictValues(converted.model, input), reference), 0, name);
    assertWeightsBitExact(tiny.model, converted.model);
    converted.model.dispose();
  }
  input.dispose();
  tiny.model.dispose();
});
