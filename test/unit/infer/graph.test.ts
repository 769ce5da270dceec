// Forward passes and the inference copy on graphs: the real Keras-made zoo (residual, depthwise,
// separable, concatenate, squeeze-excite, nested, Softmax head, Rescaling + padding, and the
// Teachable Machine nest) on the Fashion-MNIST subset. The flat, folded copy predicts what the
// model predicts; ForwardPass reads any unit tensor, inside nested models too, as the model's own
// layers applied one by one compute it; the helper thread gives the same rows; nothing leaks.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../src/engine/backend';
import { quietContext } from '../../../src/engine/core/context';
import { openDataset, type Dataset } from '../../../src/engine/data';
import { evaluate } from '../../../src/engine/eval/evaluate';
import { openModel } from '../../../src/engine/formats';
import { buildGraph, graphUnits, type ModelGraph } from '../../../src/engine/graph';
import { foldForInference } from '../../../src/engine/infer/fold';
import { ForwardPass, type ForwardOutput } from '../../../src/engine/infer/forwardPass';
import { mulberry32 } from '../../../src/engine/core/random';
import { memoryDataset } from '../sfp/helpers';

const repoRoot = path.resolve(__dirname, '../../..');
const images = path.join(repoRoot, 'examples/data/t10k-images-idx3-ubyte.gz');
const zoo = (file: string): string => path.join(repoRoot, 'test/fixtures/zoo', file);
/** Images for the feature checks (all 2,000 for the copy's predictions). */
const FEATURE_SAMPLES = 300;

let dataset: Dataset;
let all: tf.Tensor4D;

before(async () => {
  await useBackend('wasm');
  dataset = await openDataset(images, { inputShape: [28, 28, 1], classes: 10 });
  const parts: tf.Tensor[] = [];
  for await (const batch of dataset.batches({ batchSize: 1000 })) parts.push(batch.x);
  all = tf.concat(parts) as tf.Tensor4D;
  tf.dispose(parts);
  assert.equal(all.shape[0], 2000);
});
after(() => {
  all.dispose();
  delete process.env['QUENCH_THREADS'];
});

/** The graph's tensors `ids`, each node's original layer applied in turn (no nodes are added). */
function appliedLayers(graph: ModelGraph, x: tf.Tensor, ids: string[]): tf.Tensor[] {
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor>([[graph.inputs[0]!, x]]);
    for (const node of graph.nodes) {
      const inputs = node.inputs.map((t) => values.get(t)!);
      values.set(node.outputs[0]!, node.layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor);
    }
    return ids.map((id) => values.get(id)!);
  });
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

function maxDelta(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** All rows of a pass over dataset[0, n), per output. */
async function passRows(pass: ForwardPass, data: Dataset, n: number): Promise<Float32Array[]> {
  const tables = pass.outputs.map((o) => new Float32Array(n * o.size));
  for await (const batch of pass.rows(data, { start: 0, end: n, batchSize: 100 }, quietContext())) {
    batch.values.forEach((v, i) => tables[i]!.set(v, batch.offset * pass.outputs[i]!.size));
  }
  return tables;
}

/** Up to three units spread over the graph (always one inside a nested model when there is one), and the output. */
function chosenOutputs(graph: ModelGraph): ForwardOutput[] {
  const units = [...graphUnits(graph).units.keys()].filter((u) => !graph.outputs.includes(u));
  const picks = new Set([units[0]!, units[Math.floor(units.length / 2)]!, units[units.length - 1]!]);
  const nested = units.find((u) => u.includes('/'));
  if (nested && ![...picks].some((u) => u.includes('/'))) picks.add(nested);
  const outputs: ForwardOutput[] = [...picks].map((id, i) => {
    const shape = graph.tensor(id).shape.map(Number);
    const size = shape.reduce((a, b) => a * b, 1);
    const channels = shape[shape.length - 1]!;
    // One output globally pooled, one 2×2-pooled, the others flattened as they are.
    if (i === 0 && shape.length === 3) return { layer: id, pool: 'global', size: channels };
    if (i === 1 && shape.length === 3 && shape[0]! >= 2) return { layer: id, pool: 2, size: Math.floor(shape[0]! / 2) * Math.floor(shape[1]! / 2) * channels };
    return { layer: id, pool: null, size };
  });
  outputs.push({ layer: graph.outputs[0]!, pool: null, size: 10 });
  return outputs;
}

/** The reference rows: the applied layers' values, pooled and flattened like ForwardPass does. */
function referenceRows(graph: ModelGraph, x: tf.Tensor, outputs: ForwardOutput[]): Float32Array[] {
  const values = appliedLayers(graph, x, outputs.map((o) => o.layer));
  const rows = outputs.map((o, i) =>
    tf.tidy(() => {
      let t = values[i]!;
      if (o.pool === 'global') t = tf.mean(t, [1, 2]);
      else if (o.pool !== null) t = tf.avgPool(t as tf.Tensor4D, o.pool, o.pool, 'valid');
      return t.dataSync() as Float32Array;
    }),
  );
  tf.dispose(values);
  return rows;
}

const MODELS = [
  'resnet.keras', 'mobilenetv2.keras', 'inception.keras', 'squeeze_excite.keras', 'nested.keras',
  'softmax_head.keras', 'rescaling_padding.keras', 'tfjs/teachable/model.json',
];

for (const file of MODELS) {
  test(`${file}: the folded flat copy predicts as the model; unit tensors on one and two threads equal the layers applied in turn; no leaks`, async () => {
    const { model } = await openModel(zoo(file));
    const graph = buildGraph(model);
    const before = tf.memory().numTensors;

    // (a) The copy's final output on all 2,000 images.
    const copy = await foldForInference(model, { graph });
    const [expected, got] = tf.tidy(() => [model.predict(all, { batchSize: 500 }) as tf.Tensor, copy.model.predict(all, { batchSize: 500 }) as tf.Tensor]);
    const delta = maxDelta(await expected!.data(), await got!.data());
    tf.dispose([expected!, got!]);
    assert.ok(delta <= 1e-4, `copy vs model.predict: max |Δ| ${delta}`);
    assert.ok(copy.model.layers.every((l) => !(l instanceof tf.Sequential) && l.getClassName() !== 'Model'), 'no nested models in the copy');
    copy.dispose();

    // (b) Unit tensors through ForwardPass: before prepare() (the model's own layers), then on the copy.
    const outputs = chosenOutputs(graph);
    if (file.startsWith('nested') || file.includes('teachable')) assert.ok(outputs.some((o) => o.layer.includes('/')), 'a unit inside the nested model');
    const x = all.slice(0, FEATURE_SAMPLES);
    const reference = referenceRows(graph, x, outputs);
    x.dispose();
    const modelOut = tf.tidy(() => (model.predict(all.slice(0, FEATURE_SAMPLES)) as tf.Tensor).dataSync());
    assert.ok(maxDelta(reference.at(-1)!, modelOut) <= 1e-6, 'the applied layers compute what model.predict does');

    process.env['QUENCH_THREADS'] = '1';
    const plain = new ForwardPass(model, outputs);
    const unprepared = await passRows(plain, dataset, FEATURE_SAMPLES);
    outputs.forEach((o, i) => assert.ok(maxDelta(unprepared[i]!, reference[i]!) <= 1e-6, `${o.layer} before prepare()`));
    await plain.prepare(quietContext(), { helper: true });
    assert.equal(plain.threads, 1);
    const single = await passRows(plain, dataset, FEATURE_SAMPLES);
    await plain.close();
    outputs.forEach((o, i) => {
      const scale = Math.max(1, maxAbs(reference[i]!));
      const d = maxDelta(single[i]!, reference[i]!);
      assert.ok(d <= 1e-4 * scale, `${o.layer} (pool ${o.pool}): max |Δ| ${d} at scale ${scale}`);
    });

    // (c) The helper thread forced: the same rows, bit for bit.
    process.env['QUENCH_THREADS'] = '2';
    const helped = new ForwardPass(model, outputs);
    await helped.prepare(quietContext(), { helper: true });
    try {
      assert.equal(helped.threads, 2);
      const both = await passRows(helped, dataset, FEATURE_SAMPLES);
      outputs.forEach((o, i) => assert.deepEqual(both[i], single[i], `${o.layer} on two threads`));
    } finally {
      await helped.close();
      delete process.env['QUENCH_THREADS'];
    }

    // (d) Nothing left behind.
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    model.dispose();
  });
}

test('separable and depthwise convolutions (depth multiplier 2) fold their BatchNorm per output channel; a shared layer\'s second call is its own tensor', async () => {
  const random = mulberry32(29);
  const seeded = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  let a = tf.layers.separableConv2d({ name: 'sep', filters: 6, kernelSize: 3, padding: 'same', depthMultiplier: 2, depthwiseInitializer: seeded(1), pointwiseInitializer: seeded(2) }).apply(input) as tf.SymbolicTensor;
  a = tf.layers.batchNormalization({ name: 'sep_bn' }).apply(a) as tf.SymbolicTensor;
  a = tf.layers.reLU({ name: 'sep_relu' }).apply(a) as tf.SymbolicTensor;
  let b = tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same', depthMultiplier: 2, useBias: false, depthwiseInitializer: seeded(3) }).apply(a) as tf.SymbolicTensor;
  b = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(b) as tf.SymbolicTensor;
  const shared = tf.layers.conv2d({ name: 'shared', filters: 12, kernelSize: 1, kernelInitializer: seeded(4) });
  const merged = tf.layers.add({ name: 'merge' }).apply([b, shared.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const twice = shared.apply(merged) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(twice) as tf.SymbolicTensor;
  const output = tf.layers.dense({ name: 'out', units: 4, kernelInitializer: seeded(5) }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  for (const name of ['sep_bn', 'dw_bn']) {
    const layer = model.getLayer(name);
    const values = layer.getWeights().map((w, k) => tf.tensor(Float32Array.from({ length: w.size }, () => (k === 3 ? 0.2 + random() : k === 0 ? 0.5 + random() : random() - 0.5)), w.shape));
    layer.setWeights(values);
    tf.dispose(values);
  }
  const n = 64;
  const pixels = Float32Array.from({ length: n * 8 * 8 * 3 }, () => random());
  const data = memoryDataset(pixels, Int32Array.from({ length: n }, (_, i) => i % 4), [8, 8, 3], 4);
  const graph = buildGraph(model);
  assert.ok(graph.tensors.has('shared#1'));
  const before = tf.memory().numTensors;

  const copy = await foldForInference(model, { graph });
  assert.deepEqual(copy.model.layers.filter((l) => l.getClassName() === 'BatchNormalization' || l.getClassName() === 'ReLU').map((l) => l.name), []);
  assert.equal(copy.layerName('sep_relu'), 'sep');
  assert.equal(copy.layerName('dw_bn'), 'dw');
  copy.dispose();

  const outputs: ForwardOutput[] = [
    { layer: 'sep_relu', pool: null, size: 8 * 8 * 6 },
    { layer: 'dw_bn', pool: null, size: 8 * 8 * 12 },
    { layer: 'shared#1', pool: 'global', size: 12 },
    { layer: 'out', pool: null, size: 4 },
  ];
  const x = tf.tensor4d(pixels, [n, 8, 8, 3]);
  const reference = referenceRows(graph, x, outputs);
  x.dispose();
  process.env['QUENCH_THREADS'] = '1';
  const pass = new ForwardPass(model, outputs);
  await pass.prepare(quietContext(), { helper: true });
  const rows = await passRows(pass, data, n);
  await pass.close();
  outputs.forEach((o, i) => {
    const scale = Math.max(1, maxAbs(reference[i]!));
    const d = maxDelta(rows[i]!, reference[i]!);
    assert.ok(d <= 1e-5 * scale, `${o.layer}: max |Δ| ${d} at scale ${scale}`);
  });
  // The helper rebuilds the copy from its own JSON (tfjs's toJSON would lose the depth multiplier).
  process.env['QUENCH_THREADS'] = '2';
  const helped = new ForwardPass(model, outputs);
  try {
    await helped.prepare(quietContext(), { helper: true });
    assert.equal(helped.threads, 2);
    const both = await passRows(helped, data, n);
    outputs.forEach((o, i) => assert.deepEqual(both[i], rows[i], `${o.layer} on two threads`));
  } finally {
    await helped.close();
    delete process.env['QUENCH_THREADS'];
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('evaluation of the Teachable Machine nest (its output named by the top-level nested model) agrees with model.predict', async () => {
  const { model } = await openModel(zoo('tfjs/teachable/model.json'));
  const n = 500;
  const predicted = tf.tidy(() => (model.predict(all.slice(0, n)) as tf.Tensor).argMax(-1).dataSync());
  const labels = await dataset.labels();
  const before = tf.memory().numTensors;
  const result = await evaluate(model, dataset, quietContext(), { limit: n, batchSize: 100, helperThread: false });
  assert.equal(tf.memory().numTensors, before);
  let correct = 0;
  predicted.forEach((p, i) => (correct += p === labels[i] ? 1 : 0));
  assert.equal(result.accuracy.samples, n);
  assert.equal(result.accuracy.top1, correct / n);
  assert.ok(result.accuracy.top1 > 0.75, `top-1 ${result.accuracy.top1}`);
  model.dispose();
});
