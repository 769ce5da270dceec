// Evaluation on the inference copy (BatchNorm + ReLU folded) and on two threads gives what plain
// model.predict gives: the example model on the committed Fashion-MNIST subset, and a model that
// takes flat vectors (the helper thread gets the reshaped batch).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../src/engine/backend';
import { openDataset } from '../../../src/engine/data';
import { evaluate } from '../../../src/engine/eval/evaluate';
import { openModel } from '../../../src/engine/formats';
import { quietContext } from '../../../src/engine/core/context';
import { memoryDataset } from '../sfp/helpers';

const repoRoot = path.resolve(__dirname, '../../..');
const example = path.join(repoRoot, 'examples/fashion-vgg/model.json');
const subset = path.join(repoRoot, 'examples/data/t10k-images-idx3-ubyte.gz');

before(async () => {
  await useBackend('wasm');
  process.env['QUENCH_THREADS'] = '2'; // the helper thread even where the machine has one core
});
after(() => {
  delete process.env['QUENCH_THREADS'];
});

/** Confusion matrix and mean cross-entropy of plain model.predict, batch by batch. */
async function reference(model: tf.LayersModel, x: tf.Tensor, labels: Int32Array, classes: number): Promise<{ confusion: number[][]; loss: number }> {
  const probabilities = tf.tidy(() => model.predict(x) as tf.Tensor);
  const values = await probabilities.data();
  probabilities.dispose();
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let loss = 0;
  labels.forEach((y, i) => {
    const row = values.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    for (let k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
    confusion[y][best] += 1;
    loss -= Math.log(Math.max(row[y], 1e-7));
  });
  return { confusion, loss: loss / labels.length };
}

test('the example model: one thread, two threads and model.predict agree sample for sample', async () => {
  const loaded = await openModel(example);
  const dataset = await openDataset(subset, { inputShape: [28, 28, 1], classes: 10, limit: 600 });
  const parts: tf.Tensor[] = [];
  const labels: number[] = [];
  for await (const batch of dataset.batches({ batchSize: 600 })) {
    parts.push(batch.x);
    labels.push(...batch.y);
  }
  const expected = await reference(loaded.model, parts[0]!, Int32Array.from(labels), 10);
  tf.dispose(parts);
  const before = tf.memory().numTensors;
  const single = await evaluate(loaded.model, dataset, quietContext(), { batchSize: 128, helperThread: false });
  const steps: number[] = [];
  const ctx = { ...quietContext(), progress: (p: { step?: number }) => steps.push(p.step ?? -1) };
  const threaded = await evaluate(loaded.model, dataset, ctx, { batchSize: 128, helperThread: true });
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  assert.deepEqual(steps, [128, 256, 384, 512, 600], 'progress in dataset order, every batch once');
  assert.equal(single.threads, 1);
  assert.equal(threaded.threads, 2);
  assert.deepEqual(single.confusion, expected.confusion);
  assert.deepEqual(threaded.confusion, expected.confusion);
  assert.ok(Math.abs(single.accuracy.loss - expected.loss) < 1e-4, `loss ${single.accuracy.loss} vs ${expected.loss}`);
  assert.ok(Math.abs(threaded.accuracy.loss - single.accuracy.loss) < 1e-9);
  assert.ok(threaded.accuracy.top1 > 0.8, `top-1 ${threaded.accuracy.top1} on the example subset`);
  loaded.model.dispose();
});

test('a model on flat vectors: the helper thread gets the batch reshaped like this thread', async () => {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [16], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }));
  model.add(tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }));
  const n = 300;
  const images = Float32Array.from({ length: n * 16 }, (_, i) => Math.sin(i * 0.37));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const dataset = memoryDataset(images, labels, [4, 4, 1], 4);
  const x = tf.tensor2d(images, [n, 16]);
  const expected = await reference(model, x, labels, 4);
  x.dispose();
  const threaded = await evaluate(model, dataset, quietContext(), { batchSize: 64, helperThread: true });
  assert.deepEqual(threaded.confusion, expected.confusion);
  assert.equal(threaded.accuracy.samples, n);
  assert.equal(threaded.threads, 2);
  model.dispose();
});
