import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { afccMasks, maskSparsity, maskZeros, type LabelSets } from '../../../src/engine/prune/afcc';
import { applyMasks, modelCounts } from '../../../src/engine/prune/apply';
import { defaultTargets, modelGraph, unitsNeeded } from '../../../src/engine/sfp/graph';
import { tinyVgg } from '../sfp/helpers';

// conv1: 4 filters, conv2: 6 filters, conv3: 8 filters on a 2×2 map, output 6 classes.
const L: LabelSets = new Map([
  ['conv1', [[0], [1, 2], [], [3, 4, 5]]],
  ['conv2', [[0, 1], [2], [5], [], [4], [1, 3]]],
  ['conv3', [[0], [1, 2], [5], [], [3, 4, 5], [2], [0, 1, 2, 3, 4, 5], [4]]],
]);
const meets = (a: number[], b: number[]) => a.some((x) => b.includes(x));

test('default targets are the last two conv→conv connections and the last conv → output', () => {
  const model = tinyVgg(6);
  const g = modelGraph(model);
  assert.deepEqual(defaultTargets(g), ['conv2', 'conv3', 'out']);
  assert.deepEqual(unitsNeeded(g, ['conv3', 'out']), ['conv2', 'conv3']);
  model.dispose();
});

test('conv mask [kh,kw,in,out]: slice (i,o) kept iff L(i) ∩ L(o) ≠ ∅, all 9 taps alike', () => {
  const model = tinyVgg(6);
  const g = modelGraph(model);
  const [mask] = afccMasks(g, L, ['conv3']);
  assert.deepEqual(mask.shape, [3, 3, 6, 8]);
  const prod = L.get('conv2')!;
  const cons = L.get('conv3')!;
  for (let s = 0; s < 9; s++) {
    for (let i = 0; i < 6; i++) {
      for (let o = 0; o < 8; o++) assert.equal(mask.keep[s * 48 + i * 8 + o], meets(prod[i], cons[o]) ? 1 : 0, `tap ${s} ${i}→${o}`);
    }
  }
  // An empty label set on either side loses every connection.
  for (let o = 0; o < 8; o++) assert.equal(mask.keep[3 * 8 + o], 0);
  for (let i = 0; i < 6; i++) assert.equal(mask.keep[i * 8 + 3], 0);
  model.dispose();
});

test('dense output mask keeps |L(f)|·HW weights per filter at rows p·F + f (NHWC flatten)', () => {
  const model = tinyVgg(6);
  const g = modelGraph(model);
  const [mask] = afccMasks(g, L, ['out']);
  const F = 8;
  const P = 4;
  const C = 6;
  assert.deepEqual(mask.shape, [P * F, C]);
  const sets = L.get('conv3')!;
  for (let f = 0; f < F; f++) {
    let kept = 0;
    for (let p = 0; p < P; p++) {
      for (let c = 0; c < C; c++) {
        const v = mask.keep[(p * F + f) * C + c];
        assert.equal(v, sets[f].includes(c) ? 1 : 0);
        kept += v;
      }
    }
    assert.equal(kept, sets[f].length * P);
  }
  // Dilution of the output layer = 1 − mean|L(f)|/C.
  const meanL = sets.reduce((a, s) => a + s.length, 0) / F;
  assert.ok(Math.abs(maskSparsity([mask]) - (1 - meanL / C)) < 1e-12);
  model.dispose();
});

test('dilution over several masks counts zeros over all their weights', () => {
  const model = tinyVgg(6);
  const masks = afccMasks(modelGraph(model), L, ['conv2', 'conv3', 'out']);
  const zeros = masks.reduce((a, m) => a + maskZeros(m), 0);
  const size = masks.reduce((a, m) => a + m.keep.length, 0);
  assert.equal(size, 3 * 3 * 4 * 6 + 3 * 3 * 6 * 8 + 32 * 6);
  assert.equal(maskSparsity(masks), zeros / size);
  model.dispose();
});

test('applyMasks writes exact +0 where the mask says so, keeps the rest, leaks nothing', () => {
  const model = tinyVgg(6);
  const g = modelGraph(model);
  const masks = afccMasks(g, L, ['conv3', 'out']);
  const beforeValues = masks.map((m) => model.getLayer(m.layer).getWeights()[0].dataSync().slice());
  const beforeCounts = modelCounts(model);
  const n = tf.memory().numTensors;
  applyMasks(model, masks);
  assert.equal(tf.memory().numTensors, n);
  masks.forEach((m, j) => {
    const after = model.getLayer(m.layer).getWeights()[0].dataSync();
    for (let k = 0; k < after.length; k++) {
      if (m.keep[k]) assert.equal(after[k], beforeValues[j][k]);
      else assert.ok(Object.is(after[k], 0), `${m.layer}[${k}] is ${after[k]}`);
    }
  });
  const counts = modelCounts(model);
  const out = counts.get('out')!;
  assert.equal(out.zeros - beforeCounts.get('out')!.zeros, maskZeros(masks[1]));
  assert.equal(out.filters, 6);
  // conv3 filter 3 has an empty label set: every slice into it is cut, so it is dead.
  assert.equal(counts.get('conv3')!.filters, 8 - 1);
  assert.ok(counts.get('conv3')!.macs < beforeCounts.get('conv3')!.macs);
  model.dispose();
});
