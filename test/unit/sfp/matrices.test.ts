import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { SfpMatrixAccumulator } from '../../../src/engine/sfp/matrices';
import { mulberry32 } from '../../../src/engine/core/random';

const C = 5;
const F = 3;
const P = 4; // a 2×2 map

test('a readout that only links filter 0 to class 3 gives S^0 in column 3, the others empty (METHOD.md §12.1)', async () => {
  const before = tf.memory().numTensors;
  const random = mulberry32(7);
  const w = new Float32Array(P * F * C);
  for (let p = 0; p < P; p++) w[(p * F + 0) * C + 3] = 0.5 + random();
  const readout = tf.tensor2d(w, [P * F, C]);
  const acc = new SfpMatrixAccumulator(readout, F, C);
  const n = 20;
  const features = tf.tensor2d(Float32Array.from({ length: n * P * F }, () => random()), [n, P * F]);
  await acc.add(features, Int32Array.from({ length: n }, (_, i) => i % C));
  const m = acc.finish();
  acc.dispose();
  readout.dispose();
  features.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Array.from(m.empty), [0, 1, 1]);
  let max = -Infinity;
  for (let i = 0; i < C; i++) {
    for (let c = 0; c < C; c++) {
      const v = m.data[i * C + c];
      if (c !== 3) assert.equal(v, 0);
      else assert.ok(v > 0);
      max = Math.max(max, v);
    }
  }
  assert.ok(Math.abs(max - 1) < 1e-6);
  for (let k = C * C; k < m.data.length; k++) assert.equal(m.data[k], 0);
});

test('the batched matrices equal a per-filter loop over samples in NHWC flatten order', async () => {
  const random = mulberry32(11);
  const n = 30;
  const feats = Float32Array.from({ length: n * P * F }, () => random());
  const w = Float32Array.from({ length: P * F * C }, () => random() - 0.3);
  const labels = Int32Array.from({ length: n }, () => Math.floor(random() * C));
  const acc = new SfpMatrixAccumulator(tf.tensor2d(w, [P * F, C]), F, C);
  // Two batches, to check accumulation across batches.
  await acc.add(tf.tensor2d(feats.subarray(0, 12 * P * F), [12, P * F]), labels.subarray(0, 12));
  await acc.add(tf.tensor2d(feats.subarray(12 * P * F), [n - 12, P * F]), labels.subarray(12));
  const expected = new Float64Array(F * C * C);
  const counts = new Float64Array(C);
  for (let s = 0; s < n; s++) {
    counts[labels[s]] += 1;
    for (let f = 0; f < F; f++) {
      for (let c = 0; c < C; c++) {
        let field = 0;
        for (let p = 0; p < P; p++) field += w[(p * F + f) * C + c] * feats[s * P * F + p * F + f];
        expected[f * C * C + labels[s] * C + c] += field;
      }
    }
  }
  for (let k = 0; k < expected.length; k++) assert.ok(Math.abs(acc.sums[k] - expected[k]) < 1e-4, `entry ${k}`);
  assert.deepEqual(Array.from(acc.labelCounts), Array.from(counts));
  const m = acc.finish();
  for (let f = 0; f < F; f++) {
    let max = -Infinity;
    for (let i = 0; i < C; i++) for (let c = 0; c < C; c++) if (counts[i] > 0) max = Math.max(max, expected[f * C * C + i * C + c] / counts[i]);
    const i = 1;
    const c = 2;
    if (!m.empty[f]) assert.ok(Math.abs(m.data[f * C * C + i * C + c] - expected[f * C * C + i * C + c] / counts[i] / max) < 1e-5);
  }
  acc.dispose();
});
