// Allocation: per-layer sparsities from the sensitivity curves that remove the most of the
// objective for a predicted drop within a budget.
//
// The drop model is additive: the predicted drop of an allocation is the sum of each layer's own
// drop at its sparsity, measured with that layer pruned alone (the usual first-order model; layers
// interact, which is why every allocation is then verified). Each layer's measured drops are made
// non-decreasing in sparsity (the drop at s is the largest measured at or below s: pruning more is
// never assumed to help) and negative drops (noise, or a small gain) count as 0.
//
// The choice is a multiple-choice knapsack: per layer one ladder point (or 0), cost = its drop,
// value = sparsity × the layer's weight in the objective. It is solved exactly by dynamic
// programming over the drop in steps of 0.01 pp (costs rounded up, so the rounded sum never
// understates the predicted drop). A greedy marginal-gain pass is cheaper but can stop at a
// point that a better combination beats (a cheap large step hidden behind an expensive small
// one); the exact solution costs layers × points × budget/0.01 steps, a few milliseconds here.

export interface LayerCurve {
  layer: string;
  /** What pruning the whole kernel removes of the objective. */
  weight: number;
  /** Measured drops (percentage points of top-1) at the ladder's sparsities; missing = unreachable. */
  points: { sparsity: number; drop: number }[];
}

export interface Allocation {
  layerSparsity: Record<string, number>;
  /** Sum of the layers' drops at their sparsities, pp. */
  predictedDrop: number;
  /** Objective removed: Σ sparsity × weight. */
  removed: number;
}

/** Drop resolution of the knapsack, pp. */
export const DROP_STEP = 0.01;

/** The curve's points made usable: drops non-decreasing in sparsity, none below 0. */
export function envelope(points: LayerCurve['points']): LayerCurve['points'] {
  const sorted = [...points].sort((a, b) => a.sparsity - b.sparsity);
  let worst = 0;
  return sorted.map((p) => {
    worst = Math.max(worst, p.drop);
    return { sparsity: p.sparsity, drop: worst };
  });
}

export function allocate(curves: LayerCurve[], budget: number): Allocation {
  const capacity = Math.max(0, Math.floor(budget / DROP_STEP + 1e-9));
  const options = curves.map((c) => [{ sparsity: 0, drop: 0 }, ...envelope(c.points)].map((p) => ({ ...p, cost: Math.ceil(p.drop / DROP_STEP - 1e-9) })));
  // best[b] = the most value with total cost ≤ b over the layers so far; choice[l][b] = the point taken.
  let best = new Float64Array(capacity + 1);
  const choice: Int32Array[] = [];
  curves.forEach((curve, l) => {
    const next = new Float64Array(capacity + 1).fill(-Infinity);
    const taken = new Int32Array(capacity + 1);
    for (let b = 0; b <= capacity; b++) {
      options[l]!.forEach((option, k) => {
        if (option.cost > b) return;
        const value = best[b - option.cost]! + option.sparsity * curve.weight;
        if (value > next[b]! + 1e-12) {
          next[b] = value;
          taken[b] = k;
        }
      });
    }
    choice.push(taken);
    best = next;
  });
  const layerSparsity: Record<string, number> = {};
  let predictedDrop = 0;
  let removed = 0;
  let b = capacity;
  for (let l = curves.length - 1; l >= 0; l--) {
    const option = options[l]![choice[l]![b]!]!;
    layerSparsity[curves[l]!.layer] = option.sparsity;
    predictedDrop += option.drop;
    removed += option.sparsity * curves[l]!.weight;
    b -= option.cost;
  }
  return { layerSparsity: Object.fromEntries(curves.map((c) => [c.layer, layerSparsity[c.layer]!])), predictedDrop, removed };
}

/** The allocation with every sparsity multiplied by `scale` (the back-off). */
export function scaled(layerSparsity: Record<string, number>, scale: number): Record<string, number> {
  return Object.fromEntries(Object.entries(layerSparsity).map(([layer, s]) => [layer, Math.round(s * scale * 1e4) / 1e4]));
}

/** Whether no budget can give more: every layer at its last reachable point. */
export function saturated(curves: LayerCurve[], allocation: Allocation): boolean {
  return curves.every((c) => c.points.length === 0 || allocation.layerSparsity[c.layer] === Math.max(...c.points.map((p) => p.sparsity)));
}

export const ALLOCATOR = 'exact multiple-choice knapsack (dynamic programming in 0.01 pp steps) over the sensitivity curves: per layer one ladder sparsity, maximising the objective removed for a predicted drop (the sum of the layers\' own drops, each made non-decreasing in sparsity) within the allocation budget';
