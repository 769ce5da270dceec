// afcc-balanced: AFCC with class-balanced label sets (src/engine/prune/README.md). At a high
// shared threshold the easy classes hold most filters' label sets and the hard ones starve
// (docs/benchmarks.md, Table 2b); here every class is held by the same share of each unit's
// channels, through a threshold per class.
//
// The rule, per unit u with F channels and C classes, d_f(c) the channel's normalised diagonal
// (channelScores.ts):
// 1. Rank: r_u(f, c) = the place of channel f when the unit's channels are sorted by d_f(c)
//    descending (ties by channel index), 1..F; ∞ where d_f(c) ≤ 0 or the channel's matrix is
//    empty (it does not select class c at any threshold).
// 2. Label sets at share ρ: L_ρ(f) = {c : r_u(f, c) ≤ ρ·F}. Class c is held by the ⌊ρ·F⌋ channels
//    with the largest d(c): its threshold is the ⌊ρ·F⌋-th largest d_f(c) of the unit.
// 3. Masks: AFCC's rule on these sets (keep slice f → o iff L(f) ∩ L(o) ≠ ∅; at the classifier
//    keep f → c iff c ∈ L(f)).
// Two ways to fix ρ:
// - at a cluster threshold t (prune without --sparsity): per unit, as many class memberships as
//   AFCC's own label sets have at t, spread evenly: q_u = max(1, round(Σ_f |L_t(f)| / C))
//   channels per class (fewer where fewer channels select the class);
// - at an exact number of zeros Z per kernel (--sparsity, compare, a budget's per-layer
//   sparsity): each slice's entry level e(f, o) = min_c max(r_in(f, c)/F_in, r_out(o, c)/F_out)
//   (at the classifier r_out(c, c) = 0) is the smallest ρ at which step 3 keeps it. The kernel
//   loses its slices latest to enter first (e descending; ties: smaller slice L1 first, then
//   index), whole slices, then the smallest |w| of one more, so the count is exact. That is
//   step 3 at the ρ the kernel's sparsity calls for, taken per kernel.
import type { KernelMask } from '../graph/masks';
import type { LabelSets } from './afcc';
import { bySize, checkZeros, sliceMask, type KernelValues } from './baselines';
import { sliceScores, type ChannelTable, type ChannelTables, type KernelSides } from './channelScores';

/** r_u(f, c) / F per channel and class (step 1 as a share of the unit's channels). */
export function rankShares(table: ChannelTable): ChannelTable {
  const { channels, classes, values } = table;
  const shares = new Float64Array(channels * classes).fill(Infinity);
  for (let c = 0; c < classes; c++) {
    const order = Array.from({ length: channels }, (_, f) => f)
      .filter((f) => values[f * classes + c]! > 0)
      .sort((a, b) => values[b * classes + c]! - values[a * classes + c]! || a - b);
    order.forEach((f, i) => (shares[f * classes + c] = (i + 1) / channels));
  }
  return { channels, classes, values: shares };
}

export function rankTables(diagonals: ChannelTables): ChannelTables {
  return new Map([...diagonals].map(([unit, table]) => [unit, rankShares(table)]));
}

/** Step 2 with q channels per class: L(f) = {c : rank ≤ q}, ascending. */
export function balancedSets(ranks: ChannelTable, perClass: number): number[][] {
  const { channels, classes, values } = ranks;
  return Array.from({ length: channels }, (_, f) => {
    const set: number[] = [];
    for (let c = 0; c < classes; c++) if (values[f * classes + c]! * channels <= perClass + 1e-9) set.push(c);
    return set;
  });
}

/** Channels per class at a cluster threshold: AFCC's memberships at t spread evenly over the classes. */
export function perClassAt(diagonal: ChannelTable, threshold: number): number {
  let memberships = 0;
  for (const d of diagonal.values) if (d > threshold) memberships++;
  return Math.max(1, Math.round(memberships / diagonal.classes));
}

/** Balanced label sets of every analysed unit at a cluster threshold, with each unit's q. */
export function balancedLabelSets(diagonals: ChannelTables, threshold: number): { sets: LabelSets; perClass: Map<string, number> } {
  const sets: LabelSets = new Map();
  const perClass = new Map<string, number>();
  for (const [unit, table] of diagonals) {
    const q = perClassAt(table, threshold);
    perClass.set(unit, q);
    sets.set(unit, balancedSets(rankShares(table), q));
  }
  return { sets, perClass };
}

/** e(f, o) of every slice, indexed f·O + o, from the two sides' rank shares. */
export function entryLevels(sides: KernelSides): Float64Array {
  return sliceScores(sides, (rin, rout) => {
    let level = Infinity;
    for (let c = 0; c < rin.length; c++) level = Math.min(level, Math.max(rin[c]!, rout[c]!));
    return level;
  });
}

/** The balanced mask of one kernel with exactly `zeros` masked weights. */
export function balancedKernelMask(kernel: KernelValues, levels: Float64Array, zeros: number): KernelMask {
  const slices = kernel.inputs * kernel.outputs;
  const l1 = new Float64Array(slices);
  for (let i = 0; i < kernel.values.length; i++) l1[i % slices] += Math.abs(kernel.values[i]!);
  const order = Uint32Array.from({ length: slices }, (_, i) => i).sort((a, b) => {
    const la = levels[a]!;
    const lb = levels[b]!;
    if (la !== lb) return la < lb ? 1 : -1;
    return l1[a]! - l1[b]! || a - b;
  });
  return sliceMask(kernel, order, checkZeros(kernel, zeros), (slice) => bySize(kernel, slice));
}
