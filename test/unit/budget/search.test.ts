// The attempts loop with a fake attempt: growth on calibration data, the back-off on the global
// scale until the held-out drop is within the budget, and nothing kept when nothing is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BudgetAttempt } from '../../../src/protocol/report';
import { allocate, saturated, type LayerCurve } from '../../../src/engine/budget/allocate';
import { searchBudget, type SearchHooks } from '../../../src/engine/budget/search';

const curves: LayerCurve[] = [
  { layer: 'a', weight: 1000, points: [0.3, 0.5, 0.7, 0.9].map((s) => ({ sparsity: s, drop: s * 2 })) },
  { layer: 'b', weight: 3000, points: [0.3, 0.5, 0.7, 0.9].map((s) => ({ sparsity: s, drop: s * 4 })) },
];
const mean = (ls: Record<string, number>) => (ls['a']! * 1000 + ls['b']! * 3000) / 4000;

/** A fake model: top-1 falls by `cost(removed)` pp on both parts; records every scale tried and every kept attempt. */
function fake(cost: (removed: number) => { calibration: number; heldOut: number }) {
  const scales: number[] = [];
  const kept: BudgetAttempt[] = [];
  const hooks: SearchHooks = {
    allocate: (budget) => allocate(curves, budget),
    saturated: (allocation) => saturated(curves, allocation),
    attempt: async (layerSparsity) => {
      const removed = mean(layerSparsity);
      const drop = cost(removed);
      return { calibrationTop1: 0.9 - drop.calibration / 100, heldOutTop1: 0.9 - drop.heldOut / 100, removed, layerSparsity };
    },
    keep: (attempt) => kept.push(attempt),
  };
  const wrapped: SearchHooks = { ...hooks, attempt: async (ls, label) => { const m = /scale (\S+)/.exec(label); scales.push(m ? Number(m[1]) : 1); return hooks.attempt(ls, label); } };
  return { hooks: wrapped, scales, kept };
}

test('back-off: the held-out check fails until the scale is at most 0.3; bisection keeps the largest passing scale', async () => {
  // Calibration is always fine; held-out is over budget above 30% of the first allocation's removal.
  const first = allocate(curves, 1);
  const limit = 0.3 * first.removed / 4000;
  const { hooks, scales, kept } = fake((removed) => ({ calibration: 0, heldOut: removed > limit + 1e-9 ? 5 : 0.2 }));
  const result = await searchBudget(hooks, { method: 'magnitude', maxDrop: 1, calibrationBefore: 0.9, heldOutBefore: 0.9, growAttempts: 1, backoffSteps: 4 });
  assert.deepEqual(scales, [1, 0.5, 0.25, 0.375, 0.3125]);
  assert.equal(result.chosen?.scale, 0.25);
  assert.ok(result.chosen!.verifiedDrop <= 1);
  assert.equal(result.chosen!.withinBudget, true);
  assert.deepEqual(kept.map((k) => k.scale), [0.25]);
  assert.equal(result.attempts.filter((a) => a.withinBudget).length, 1);
});

test('growth: while calibration stays within the budget the allocation budget grows; held-out never steers it', async () => {
  // Fine-tuning wins back everything up to 60% removed on calibration; held-out is fine throughout.
  const { hooks, scales } = fake((removed) => ({ calibration: removed > 0.6 ? 3 : 0.1, heldOut: 0.1 }));
  const result = await searchBudget(hooks, { method: 'magnitude', maxDrop: 0.5, calibrationBefore: 0.9, heldOutBefore: 0.9, growAttempts: 4, backoffSteps: 2 });
  assert.ok(scales.every((s) => s === 1), 'no back-off was needed');
  const removed = result.attempts.map((a) => a.removed);
  assert.ok(removed[1]! > removed[0]!, 'the second attempt removes more than the first');
  assert.ok(result.chosen!.removed <= 0.6 && result.chosen!.removed === Math.max(...result.attempts.filter((a) => a.removed <= 0.6).map((a) => a.removed)));
});

test('nothing within the budget: no attempt is kept', async () => {
  const { hooks, kept } = fake(() => ({ calibration: 2, heldOut: 2 }));
  const result = await searchBudget(hooks, { method: 'afcc', maxDrop: 0.5, calibrationBefore: 0.9, heldOutBefore: 0.9, backoffSteps: 3 });
  assert.equal(result.chosen, null);
  assert.equal(kept.length, 0);
  assert.ok(result.attempts.length === 4 && result.attempts.every((a) => !a.withinBudget));
});

test('a search continued from a screening attempt does not repeat it', async () => {
  const { hooks, scales } = fake(() => ({ calibration: 0, heldOut: 0 }));
  const screening = await searchBudget(hooks, { method: 'magnitude', maxDrop: 0.5, calibrationBefore: 0.9, heldOutBefore: 0.9, growAttempts: 1, backoffSteps: 0 });
  const continued = await searchBudget(hooks, { method: 'magnitude', maxDrop: 0.5, calibrationBefore: 0.9, heldOutBefore: 0.9, growAttempts: 3 }, screening.first!);
  assert.equal(screening.attempts.length, 1);
  assert.equal(continued.attempts.length, 2);
  assert.notDeepEqual(continued.attempts[0]!.layerSparsity, screening.attempts[0]!.layerSparsity);
  assert.ok(continued.chosen!.removed > screening.chosen!.removed);
  assert.equal(scales.length, 3);
});
