// The optional onnxruntime-node, at its edges: where the engine looks for it and what it says when
// it is off, absent or broken (fake packages in QUENCH_EXTRA_MODULES folders), and the Evaluator
// handing an ONNX model's evaluation back to TensorFlow.js, with a note, when ONNX Runtime fails.
// The real onnxruntime-node is judged in the ONNX tier (test/onnx/runtime.test.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { quietContext } from '../../../src/engine/core/context';
import { evaluate } from '../../../src/engine/eval/evaluate';
import { evaluateWithOnnxRuntime, loadOnnxRuntime, onnxRuntimeStatus } from '../../../src/engine/eval/onnxRuntime';
import { openModel } from '../../../src/engine/formats';
import { loadDatasetForModel } from '../../../src/engine/jobs/common';
import { Evaluator } from '../../../src/engine/pipeline/evaluator';
import { repoRoot, tempFolder, useWasm, writeIdxFamily } from '../jobs/helpers';

let dir: string;
/** Fake onnxruntime-node packages, one node_modules folder each. */
const fakes: Record<'broken' | 'failing' | 'empty' | 'working', string> = { broken: '', failing: '', empty: '', working: '' };

async function fakePackage(name: keyof typeof fakes, source: string): Promise<void> {
  const modules = path.join(dir, name, 'node_modules');
  await fs.mkdir(path.join(modules, 'onnxruntime-node'), { recursive: true });
  await fs.writeFile(path.join(modules, 'onnxruntime-node', 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '9.9.9', main: 'index.js' }));
  await fs.writeFile(path.join(modules, 'onnxruntime-node', 'index.js'), source);
  fakes[name] = modules;
}

before(async () => {
  await useWasm();
  dir = await tempFolder('onnxruntime');
  await fakePackage('broken', "throw new Error('libonnxruntime.so.1: cannot open shared object file');\n");
  await fakePackage('empty', 'module.exports = {};\n');
  await fakePackage(
    'failing',
    "exports.env = { versions: { node: '9.9.9' } };\n" +
      "exports.Tensor = class { constructor(type, data, dims) { this.data = data; this.dims = dims; } };\n" +
      "exports.InferenceSession = { create: async () => { throw new Error('Load model failed: unsupported opset'); } };\n",
  );
  // Answers every row with class (row index mod 10) and records the shapes it was fed.
  await fakePackage(
    'working',
    "exports.fed = [];\n" +
      "exports.env = { versions: { node: '9.9.8' } };\n" +
      "exports.Tensor = class { constructor(type, data, dims) { this.data = data; this.dims = dims; } };\n" +
      "exports.InferenceSession = { create: async () => ({ inputNames: ['x'], outputNames: ['y'], release: async () => {}, run: async (feeds) => {\n" +
      "  const n = feeds.x.dims[0]; exports.fed.push(feeds.x.dims);\n" +
      "  const y = new Float32Array(n * 10); for (let i = 0; i < n; i++) y[i * 10 + (i % 10)] = 5;\n" +
      "  return { y: new exports.Tensor('float32', y, [n, 10]) }; } }) };\n",
  );
  // The process-wide answer (onnxRuntime()) comes from the first call: the failing fake.
  process.env['QUENCH_EXTRA_MODULES'] = fakes.failing;
  delete process.env['QUENCH_ONNXRUNTIME'];
});
after(() => fs.rm(dir, { recursive: true, force: true }));

test('QUENCH_ONNXRUNTIME=off turns it off, whatever is installed', () => {
  const result = loadOnnxRuntime({ QUENCH_ONNXRUNTIME: 'off', QUENCH_EXTRA_MODULES: fakes.failing });
  assert.deepEqual(result, { reason: 'QUENCH_ONNXRUNTIME=off turns it off' });
});

/** Whether this checkout has onnxruntime-node in its own node_modules (then it is found by name first). */
function installedByName(): boolean {
  try {
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

test('not installed anywhere: the reason says so, without the per-folder "Cannot find module" noise', { skip: installedByName() && 'onnxruntime-node is installed in this checkout\'s node_modules' }, () => {
  const result = loadOnnxRuntime({ QUENCH_EXTRA_MODULES: path.join(dir, 'nothing-here', 'node_modules') });
  assert.deepEqual(result, { reason: 'onnxruntime-node is not installed' });
});

test('a copy that fails to load, or is not ONNX Runtime, is named with the error', () => {
  const broken = loadOnnxRuntime({ QUENCH_EXTRA_MODULES: fakes.broken });
  assert.ok('reason' in broken && broken.reason.includes(path.join(fakes.broken, 'onnxruntime-node')) && broken.reason.includes('cannot open shared object file'), JSON.stringify(broken));
  const empty = loadOnnxRuntime({ QUENCH_EXTRA_MODULES: fakes.empty });
  assert.ok('reason' in empty && empty.reason.includes('has no InferenceSession'), JSON.stringify(empty));
});

test('the first loadable copy in QUENCH_EXTRA_MODULES order wins, and info reports it', { skip: installedByName() && 'onnxruntime-node is installed in this checkout\'s node_modules' }, () => {
  const found = loadOnnxRuntime({ QUENCH_EXTRA_MODULES: [fakes.broken, fakes.failing].join(path.delimiter) });
  assert.ok('ort' in found, JSON.stringify(found));
  assert.equal(found.version, '9.9.9');
  assert.equal(found.from, path.join(fakes.failing, 'onnxruntime-node'));
  assert.deepEqual(onnxRuntimeStatus(), { available: true, version: '9.9.9', from: path.join(fakes.failing, 'onnxruntime-node') });
});

test('ONNX Runtime failing on an ONNX model hands the evaluation to TensorFlow.js: same accuracy, a note, no evaluatedBy', { skip: installedByName() && 'onnxruntime-node is installed in this checkout\'s node_modules' }, async () => {
  const data = await writeIdxFamily(dir, 120, 10);
  const loaded = await openModel(path.join(repoRoot, 'test/fixtures/onnx/tiny/cnn8.onnx'));
  const dataset = await loadDatasetForModel(data, loaded);
  try {
    const notes: string[] = [];
    const base: { backend: 'wasm'; evaluatedBy?: string } = { backend: 'wasm' };
    const evaluator = new Evaluator(loaded, notes, base);
    assert.equal(evaluator.usesOnnxRuntime, true, 'the fake loads, so the evaluator starts with ONNX Runtime');
    const result = await evaluator.evaluate(loaded.model, dataset, quietContext(), { stage: 'evaluate-before' });
    const direct = await evaluate(loaded.model, dataset, quietContext());
    assert.deepEqual(result.confusion, direct.confusion);
    assert.equal(result.accuracy.samples, 120);
    assert.equal(evaluator.usesOnnxRuntime, false, 'the rest of the job stays on TensorFlow.js');
    assert.equal(base.evaluatedBy, undefined);
    assert.equal(notes.length, 1, notes.join(' | '));
    assert.match(notes[0]!, /^ONNX Runtime 9\.9\.9 cannot load the model: Load model failed: unsupported opset; TensorFlow\.js measured the accuracy \(from evaluate-before\)\.$/);
  } finally {
    dataset.close?.();
    loaded.model.dispose();
  }
});

test('ONNX Runtime failing to time an ONNX model: no latency from it (the caller times with TensorFlow.js), and a note says so', { skip: installedByName() && 'onnxruntime-node is installed in this checkout\'s node_modules' }, async () => {
  const file = path.join(repoRoot, 'test/fixtures/onnx/tiny/cnn8.onnx');
  const loaded = await openModel(file);
  try {
    const notes: string[] = [];
    const evaluator = new Evaluator(loaded, notes, { backend: 'wasm' });
    assert.equal(await evaluator.latency(file), null);
    assert.deepEqual(notes, ['ONNX Runtime 9.9.9 could not time the models: Load model failed: unsupported opset; TensorFlow.js timed them instead.']);
  } finally {
    loaded.model.dispose();
  }
});

test('evaluation through ONNX Runtime feeds NCHW batches, pads a short last batch of a fixed-batch graph, and leaves no tensor behind', async () => {
  const found = loadOnnxRuntime({ QUENCH_EXTRA_MODULES: fakes.working });
  assert.ok('ort' in found, JSON.stringify(found));
  const fed = (found.ort as unknown as { fed: number[][] }).fed;
  const loaded = await openModel(path.join(repoRoot, 'test/fixtures/onnx/tiny/cnn8.onnx'));
  const data = await writeIdxFamily(path.join(dir, 'working'), 120, 10);
  const dataset = await loadDatasetForModel(data, loaded);
  try {
    const labels = await dataset.labels();
    const expectedRight = Array.from(labels).filter((label, i) => label === (i % 50) % 10).length;
    const tensors = tf.memory().numTensors;
    const free = await evaluateWithOnnxRuntime(found, 'model.onnx', dataset, quietContext(), { inputShape: [1, 8, 8], batchSize: 50 });
    assert.deepEqual(fed.splice(0), [[50, 1, 8, 8], [50, 1, 8, 8], [20, 1, 8, 8]], 'batches of 50, NCHW');
    assert.equal(free.accuracy.samples, 120);
    assert.equal(Math.round(free.accuracy.top1 * 120), expectedRight, 'row i of each batch is answered class i mod 10');
    const fixed = await evaluateWithOnnxRuntime(found, 'model.onnx', dataset, quietContext(), { inputShape: [1, 8, 8], fixedBatch: 7 });
    assert.equal(fed.length, 18, '120 images in batches of 7: 17 full, one padded');
    assert.ok(fed.every((dims) => dims[0] === 7), JSON.stringify(fed));
    assert.equal(fixed.accuracy.samples, 120, 'the padding rows are not counted');
    assert.equal(tf.memory().numTensors, tensors, 'no tensor outlives the evaluation');
  } finally {
    dataset.close?.();
    loaded.model.dispose();
  }
});

test('a Keras or TF.js model is never given to ONNX Runtime', async () => {
  const loaded = await openModel(path.join(repoRoot, 'test/fixtures/tiny/model.json'));
  try {
    assert.equal(new Evaluator(loaded, [], { backend: 'wasm' }).usesOnnxRuntime, false);
  } finally {
    loaded.model.dispose();
  }
});
