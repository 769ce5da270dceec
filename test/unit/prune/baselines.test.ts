import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afccMasks, maskZeros, type LabelSets } from '../../../src/engine/prune/afcc';
import { baselinePlan, zerosOf } from '../../../src/engine/prune/methods';
import { balancedLabelSets } from '../../../src/engine/prune/randomAfcc';
import { kernelValues } from '../../../src/engine/prune/apply';
import { modelGraph } from '../../../src/engine/sfp/graph';
import { tinyVgg } from '../sfp/helpers';

const L: LabelSets = new Map([
  ['conv2', [[0, 1], [2], [5], [], [4], [1, 3]]],
  ['conv3', [[0], [1, 2], [5], [], [3, 4, 5], [2], [0, 1, 2, 3, 4, 5], [4]]],
]);

test('random-AFCC label sets: exactly k distinct labels per filter, label counts differ by at most 1', () => {
  for (const [filters, classes, k] of [[512, 100, 5], [128, 10, 3], [7, 10, 2], [10, 10, 10], [33, 4, 1]]) {
    const sets = balancedLabelSets(filters, classes, k, 42);
    assert.equal(sets.length, filters);
    const counts = new Array<number>(classes).fill(0);
    for (const s of sets) {
      assert.equal(new Set(s).size, k);
      assert.equal(s.length, k);
      s.forEach((l) => (counts[l] += 1));
    }
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${filters}/${classes}/${k}: ${counts}`);
  }
});

test('random-AFCC is deterministic with a seed and changes with it', () => {
  assert.deepEqual(balancedLabelSets(64, 10, 2, 9), balancedLabelSets(64, 10, 2, 9));
  assert.notDeepEqual(balancedLabelSets(64, 10, 2, 9), balancedLabelSets(64, 10, 2, 10));
});

test('every baseline hits the AFCC reference zeros per layer exactly; global matches the total', () => {
  const model = tinyVgg(6);
  const g = modelGraph(model);
  const targets = ['conv3', 'out'];
  const reference = afccMasks(g, L, targets);
  const zeros = zerosOf(reference);
  for (const method of ['magnitude', 'l1-kernel', 'random', 'random-afcc'] as const) {
    const plan = baselinePlan(method, g, targets, zeros, 5, L);
    for (const m of plan.masks) assert.equal(maskZeros(m), zeros.get(m.layer), `${method} ${m.layer}`);
    const again = baselinePlan(method, g, targets, zeros, 5, L);
    assert.deepEqual(again.masks, plan.masks, `${method} is deterministic`);
  }
  const global = baselinePlan('global-magnitude', g, targets, zeros, 5);
  const total = [...zeros.values()].reduce((a, b) => a + b, 0);
  assert.equal(global.masks.reduce((a, m) => a + maskZeros(m), 0), total);
  model.dispose();
});

test('magnitude prunes the smallest |w|; l1-kernel removes whole slices with the smallest L1 first', () => {
  const model = tinyVgg(6);
  const g = modelGraph(model);
  const [kernel] = kernelValues(g, ['conv3']);
  const zeros = new Map([['conv3', 9 * 5 + 4]]); // five whole slices and part of a sixth
  const [mag] = baselinePlan('magnitude', g, ['conv3'], zeros, 1).masks;
  const cut = kernel.values.filter((_, i) => mag.keep[i] === 0).map(Math.abs);
  const kept = kernel.values.filter((_, i) => mag.keep[i] === 1).map(Math.abs);
  assert.ok(Math.max(...cut) <= Math.min(...kept));
  const [l1] = baselinePlan('l1-kernel', g, ['conv3'], zeros, 1).masks;
  const slices = 6 * 8;
  const norms = Array.from({ length: slices }, (_, s) => Array.from({ length: 9 }, (_, t) => Math.abs(kernel.values[t * slices + s])).reduce((a, b) => a + b, 0));
  const removed = norms.map((_, s) => Array.from({ length: 9 }, (_, t) => l1.keep[t * slices + s]).filter((v) => v === 0).length);
  assert.equal(removed.filter((r) => r === 9).length, 5);
  assert.equal(removed.filter((r) => r === 4).length, 1);
  const fullNorms = norms.filter((_, s) => removed[s] === 9);
  const untouched = norms.filter((_, s) => removed[s] === 0);
  assert.ok(Math.max(...fullNorms) <= Math.min(...untouched));
  model.dispose();
});
