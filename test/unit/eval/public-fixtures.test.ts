// The real third-party TF.js models evaluated on the real MNIST test set reach the accuracy their
// README lists (measured there with an independent numpy forward pass), and a plain-JS forward pass
// written here agrees with the evaluator image by image.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend';
import { openDataset } from '../../../src/engine/data';
import { evaluate } from '../../../src/engine/eval/evaluate';
import { openModel } from '../../../src/engine/formats';
import { quietContext } from '../../../src/engine/core/context';
import { publicSkip } from '../formats/helpers';

const repoRoot = path.resolve(__dirname, '../../..');
const fixtures = path.resolve(repoRoot, '../shared/fixtures/public');
const mnistTest = path.join(fixtures, 'mnist-test');

before(async () => {
  await initBackend('wasm');
});

describe('public TF.js fixtures on the MNIST test set', { skip: publicSkip }, () => {
  for (const [name, expected] of [['mnist-tfjs-small', 0.991], ['mnist-tfjs-keras-example', 0.99]] as const) {
    it(`${name}: top-1 ${expected} within 0.1 pp, no tensor leaks`, async () => {
      const loaded = await openModel(path.join(fixtures, name, 'model.json'));
      const dataset = await openDataset(mnistTest, { inputShape: loaded.model.inputs[0]!.shape.slice(1), classes: 10 });
      assert.equal(dataset.size, 10_000);
      const tensors = tf.memory().numTensors;
      const steps: number[] = [];
      const ctx = { ...quietContext(), progress: (p: { step?: number }) => steps.push(p.step ?? -1) };
      const { accuracy, confusion } = await evaluate(loaded.model, dataset, ctx, { batchSize: 500 });
      assert.equal(tf.memory().numTensors, tensors);
      assert.equal(accuracy.samples, 10_000);
      assert.ok(Math.abs(accuracy.top1 - expected) <= 0.001, `top-1 ${accuracy.top1}`);
      assert.ok(accuracy.top5 >= accuracy.top1);
      assert.ok(accuracy.loss > 0 && accuracy.loss < 0.1, `loss ${accuracy.loss}`);
      assert.equal(confusion.flat().reduce((a, b) => a + b, 0), 10_000);
      const diagonal = confusion.reduce((a, row, k) => a + row[k]!, 0);
      assert.equal(diagonal / 10_000, accuracy.top1);
      assert.deepEqual(steps, Array.from({ length: 20 }, (_, i) => (i + 1) * 500), 'one progress event per batch');
      loaded.model.dispose();
    });
  }
});

// ---- an independent forward pass of mnist-tfjs-small in plain JS ----

type Image = { h: number; w: number; c: number; v: Float64Array };

function conv2dValidRelu(x: Image, kernel: Float32Array, bias: Float32Array, k: number, out: number): Image {
  const h = x.h - k + 1;
  const w = x.w - k + 1;
  const v = new Float64Array(h * w * out);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let o = 0; o < out; o++) {
        let s = bias[o]!;
        for (let dy = 0; dy < k; dy++)
          for (let dx = 0; dx < k; dx++)
            for (let i = 0; i < x.c; i++) s += x.v[((y + dy) * x.w + xx + dx) * x.c + i]! * kernel[((dy * k + dx) * x.c + i) * out + o]!;
        v[(y * w + xx) * out + o] = Math.max(0, s);
      }
  return { h, w, c: out, v };
}

function maxPool2(x: Image): Image {
  const h = Math.floor(x.h / 2);
  const w = Math.floor(x.w / 2);
  const v = new Float64Array(h * w * x.c);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let c = 0; c < x.c; c++) {
        let m = -Infinity;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) m = Math.max(m, x.v[((2 * y + dy) * x.w + 2 * xx + dx) * x.c + c]!);
        v[(y * w + xx) * x.c + c] = m;
      }
  return { h, w, c: x.c, v };
}

function dense(x: Float64Array, kernel: Float32Array, bias: Float32Array, relu: boolean): Float64Array {
  const out = bias.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = bias[o]!;
    for (let i = 0; i < x.length; i++) s += x[i]! * kernel[i * out + o]!;
    y[o] = relu ? Math.max(0, s) : s;
  }
  return y;
}

describe('independent check', { skip: publicSkip }, () => {
  it('a hand-written forward pass of mnist-tfjs-small agrees with evaluate on the first 12 images', async () => {
    const loaded = await openModel(path.join(fixtures, 'mnist-tfjs-small', 'model.json'));
    const w = loaded.model.getWeights().map((t) => t.dataSync() as Float32Array);
    // Pixels and labels straight from the IDX bytes, pixel/255, as the README's numpy check did.
    const images = gunzipSync(readFileSync(path.join(mnistTest, 't10k-images-idx3-ubyte.gz')));
    const labels = gunzipSync(readFileSync(path.join(mnistTest, 't10k-labels-idx1-ubyte.gz')));
    const n = 12;
    const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < n; i++) {
      const v = Float64Array.from(images.subarray(16 + i * 784, 16 + (i + 1) * 784), (p) => p / 255);
      let x: Image = { h: 28, w: 28, c: 1, v };
      x = maxPool2(conv2dValidRelu(x, w[0]!, w[1]!, 5, 30));
      x = maxPool2(conv2dValidRelu(x, w[2]!, w[3]!, 3, 15));
      const logits = dense(dense(x.v, w[4]!, w[5]!, true), w[6]!, w[7]!, false);
      const predicted = logits.indexOf(Math.max(...logits));
      confusion[labels[8 + i]!]![predicted]!++;
    }
    const dataset = await openDataset(mnistTest, { inputShape: [28, 28, 1], classes: 10, limit: n });
    const result = await evaluate(loaded.model, dataset, quietContext(), { batchSize: 5 });
    assert.deepEqual(result.confusion, confusion);
    assert.equal(result.accuracy.samples, n);
    loaded.model.dispose();
  });
});
