// The allocator on synthetic sensitivity curves: the exact knapsack against every combination,
// a case a greedy marginal-gain pass gets wrong, the drop envelope and the back-off scale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, envelope, saturated, scaled, type LayerCurve } from '../../../src/engine/budget/allocate';
import { mulberry32 } from '../../../src/engine/core/random';

/** Every combination of one point per layer (or 0): the best value within the budget. */
function bruteForce(curves: LayerCurve[], budget: number): number {
  const options = curves.map((c) => [{ sparsity: 0, drop: 0 }, ...envelope(c.points)]);
  let best = 0;
  const walk = (l: number, value: number, drop: number) => {
    if (drop > budget + 1e-9) return;
    if (l === curves.length) {
      best = Math.max(best, value);
      return;
    }
    for (const o of options[l]!) walk(l + 1, value + o.sparsity * curves[l]!.weight, drop + o.drop);
  };
  walk(0, 0, 0);
  return best;
}

test('greedy by marginal gain would stop short; the knapsack finds the best combination', () => {
  // Layer a: 50% costs 0.4 pp (gain 50k), 90% costs 0.5 pp. Layer b: 90% costs 0.1 pp (gain 9k).
  // Budget 0.5: a at 90% alone (90k) beats a at 50% + b at 90% (59k), which the best ratio first picks.
  const curves: LayerCurve[] = [
    { layer: 'a', weight: 100_000, points: [{ sparsity: 0.5, drop: 0.4 }, { sparsity: 0.9, drop: 0.5 }] },
    { layer: 'b', weight: 10_000, points: [{ sparsity: 0.9, drop: 0.1 }] },
  ];
  const allocation = allocate(curves, 0.5);
  assert.deepEqual(allocation.layerSparsity, { a: 0.9, b: 0 });
  assert.equal(allocation.removed, 90_000);
  assert.ok(Math.abs(allocation.predictedDrop - 0.5) < 1e-9);
});

test('the allocation is the best over all combinations on random curves, and within the budget', () => {
  const next = mulberry32(7);
  for (let round = 0; round < 40; round++) {
    const curves: LayerCurve[] = Array.from({ length: 4 }, (_, l) => ({
      layer: `l${l}`,
      weight: Math.round(1000 + next() * 100_000),
      points: [0.3, 0.5, 0.7, 0.9].map((sparsity) => ({ sparsity, drop: Math.round(next() * 300 * sparsity) / 100 })),
    }));
    const budget = Math.round(next() * 200) / 100;
    const allocation = allocate(curves, budget);
    assert.ok(allocation.predictedDrop <= budget + 1e-9, `round ${round}: predicted ${allocation.predictedDrop} over ${budget}`);
    assert.ok(Math.abs(allocation.removed - bruteForce(curves, budget)) < 1e-6, `round ${round}: ${allocation.removed} vs the best ${bruteForce(curves, budget)}`);
  }
});

test('a zero budget still takes every point that costs nothing; a larger one never removes less', () => {
  const curves: LayerCurve[] = [
    { layer: 'free', weight: 50, points: [{ sparsity: 0.5, drop: -0.2 }, { sparsity: 0.9, drop: 0 }] },
    { layer: 'costly', weight: 500, points: [{ sparsity: 0.5, drop: 1 }, { sparsity: 0.9, drop: 3 }] },
  ];
  assert.deepEqual(allocate(curves, 0).layerSparsity, { free: 0.9, costly: 0 });
  let last = 0;
  for (const budget of [0, 0.5, 1, 2, 3, 4, 10]) {
    const allocation = allocate(curves, budget);
    assert.ok(allocation.removed >= last);
    last = allocation.removed;
  }
  assert.ok(saturated(curves, allocate(curves, 4)));
  assert.ok(!saturated(curves, allocate(curves, 1)));
});

test('the envelope never lets more pruning look cheaper, nor a gain count', () => {
  assert.deepEqual(envelope([{ sparsity: 0.9, drop: 0.2 }, { sparsity: 0.5, drop: 0.6 }, { sparsity: 0.3, drop: -1 }]), [
    { sparsity: 0.3, drop: 0 },
    { sparsity: 0.5, drop: 0.6 },
    { sparsity: 0.9, drop: 0.6 },
  ]);
});

test('the back-off scales every layer', () => {
  assert.deepEqual(scaled({ a: 0.9, b: 0.5, c: 0 }, 0.5), { a: 0.45, b: 0.25, c: 0 });
});
