// One entry point per pruning method: AFCC from SFP label sets, and every baseline at a given
// number of zeros per targeted layer (a reference's, or a plain --sparsity).
import type { PruneMethod } from '../../protocol/report';
import type { SfpAnalysis } from '../sfp/analyze';
import type { ModelGraph } from '../sfp/graph';
import { afccMasks, maskZeros, type LabelSets } from './afcc';
import { finalZeros, globalMagnitudeMasks, l1KernelMasks, magnitudeMasks, matchFinalZeros, matchZeros, randomSliceMasks, type KernelValues } from './baselines';
import { kernelValues } from './apply';
import { randomAfccMasks } from './randomAfcc';
import { afccMasksAt, searchThreshold } from './threshold';
import type { MaskSet } from '../graph/masks';
import { EngineFailure } from '../core/errors';
import { kernelSides, unitDiagonals } from './channelScores';
import { balancedKernelMask, balancedLabelSets, entryLevels, rankTables } from './balanced';
import { afccStrengths, hybridKernelMask } from './hybrid';
import { emptyChannels } from './removal';

export interface MaskPlan {
  method: PruneMethod;
  masks: MaskSet;
  /** AFCC: the cluster threshold the masks were built at. */
  threshold?: number;
  /** Filters to remove physically with --structured (they feed nothing once masked), per layer. */
  removeFilters?: Record<string, number[]>;
  notes: string[];
}

/** AFCC at a fixed threshold, or at the smallest shared threshold reaching `targetSparsity`. */
export function afccPlan(analysis: SfpAnalysis, consumers: string[], threshold: number, targetSparsity?: number): MaskPlan {
  if (targetSparsity !== undefined) {
    const choice = searchThreshold(analysis, consumers, targetSparsity);
    return {
      method: 'afcc',
      masks: choice.masks,
      threshold: choice.threshold,
      notes: [`Cluster threshold ${choice.threshold} (shared by the targeted layers) is the smallest that reaches ${(targetSparsity * 100).toFixed(1)}% over them: ${(choice.sparsity * 100).toFixed(2)}%.`],
    };
  }
  return { method: 'afcc', masks: afccMasksAt(analysis, consumers, threshold), threshold, notes: [] };
}

/** AFCC's variants (src/engine/prune/README.md): label-set rules that reach any per-layer sparsity. */
export type AfccVariant = 'afcc-balanced' | 'afcc-hybrid';
/** The baselines of METHOD.md §9: masks at a given number of zeros that need no label sets (random-afcc: measured sizes only). */
export type BaselineMethod = Exclude<PruneMethod, 'afcc' | 'sfp-filters' | AfccVariant>;

export function isAfccVariant(method: PruneMethod): method is AfccVariant {
  return method === 'afcc-balanced' || method === 'afcc-hybrid';
}

/**
 * afcc-balanced at a cluster threshold: per unit, AFCC's number of class memberships at the
 * threshold, spread so every class is held by the same number of channels (balanced.ts). Channels
 * left with an empty set lose every connection in the targeted kernels; --structured removes them.
 */
export function balancedPlanAt(analysis: SfpAnalysis, consumers: string[], threshold: number): MaskPlan {
  const { sets, perClass } = balancedLabelSets(unitDiagonals(analysis), threshold);
  const q = [...perClass].map(([unit, n]) => `${unit} ${n}`).join(', ');
  return {
    method: 'afcc-balanced',
    masks: afccMasks(analysis.graph, sets, consumers),
    threshold,
    removeFilters: emptyChannels(sets, analysis.graph, consumers),
    notes: [`afcc-balanced at threshold ${threshold}: channels holding each class, per unit (AFCC's memberships at the threshold spread evenly over the ${analysis.classes} classes): ${q}.`],
  };
}

/**
 * An AFCC variant with exactly `zeros` zeros per targeted layer (counting zeros the kernel had):
 * afcc-balanced drops the slices its balanced label sets admit last, afcc-hybrid the smallest
 * weights among the connections AFCC's rule cuts (balanced.ts, hybrid.ts).
 */
export function variantPlan(method: AfccVariant, analysis: SfpAnalysis, graph: ModelGraph, consumers: string[], zeros: Map<string, number>, seed: number): MaskPlan {
  const kernels = kernelValues(graph, consumers);
  const diagonals = unitDiagonals(analysis);
  const notes: string[] = [];
  let masks: MaskSet;
  if (method === 'afcc-balanced') {
    const ranks = rankTables(diagonals);
    masks = kernels.map((k) => balancedKernelMask(k, entryLevels(kernelSides(graph, k.layer, ranks)), zeros.get(k.layer) ?? 0));
  } else {
    const cut = kernels.map((k) => ({ layer: k.layer, ...hybridKernelMask(k, afccStrengths(kernelSides(graph, k.layer, diagonals)), zeros.get(k.layer) ?? 0) }));
    masks = cut.map((c) => c.mask);
    const fmt = (t: number) => (Number.isFinite(t) ? t.toFixed(4) : 'none (empty label sets only)');
    notes.push(`afcc-hybrid candidates (the connections AFCC cuts at each layer's threshold; magnitude chooses among them): ${cut.map((c) => `${c.layer} threshold ${fmt(c.candidateThreshold)}, ${c.candidates} candidate weights`).join('; ')}.`);
  }
  // Zeros the kernel had before masking count toward its sparsity: land on the count exactly.
  return { method, masks: masks.map((m, i) => (zeros.has(m.layer) ? matchFinalZeros(kernels[i]!, m, zeros.get(m.layer)!, seed * 7919 + i) : m)), notes };
}

export function zerosOf(masks: MaskSet): Map<string, number> {
  return new Map(masks.map((m) => [m.layer, maskZeros(m)]));
}

/** Zeros each mask leaves in its kernel (masked or zero already): what a reference's sparsity is. */
export function kernelZerosOf(graph: ModelGraph, masks: MaskSet): Map<string, number> {
  const kernels = kernelValues(graph, masks.map((m) => m.layer));
  return new Map(masks.map((m, i) => [m.layer, finalZeros(kernels[i], m)]));
}

/** Zeros per layer for a plain per-layer sparsity. */
export function zerosAtSparsity(graph: ModelGraph, consumers: string[], sparsity: number): Map<string, number> {
  if (!(sparsity >= 0 && sparsity <= 1)) throw new EngineFailure('mismatch', `sparsity must be between 0 and 1 (got ${sparsity})`);
  return new Map(kernelValues(graph, consumers).map((k) => [k.layer, Math.round(sparsity * k.values.length)]));
}

/**
 * A baseline with exactly `zeros` zeros per targeted layer (global-magnitude matches the total
 * only). Random AFCC needs the measured label sets and is brought to the exact count by pruning
 * or restoring random slices after its construction.
 */
export function baselinePlan(
  method: BaselineMethod,
  graph: ModelGraph,
  consumers: string[],
  zeros: Map<string, number>,
  seed: number,
  measured?: LabelSets,
): MaskPlan {
  const kernels = kernelValues(graph, consumers);
  const plan = baselineMasks(method, graph, kernels, consumers, zeros, seed, measured);
  if (method === 'global-magnitude') return plan;
  // Zeros the kernel had before masking count toward its sparsity: land on the count exactly.
  return { ...plan, masks: plan.masks.map((m, i) => (zeros.has(m.layer) ? matchFinalZeros(kernels[i], m, zeros.get(m.layer)!, seed * 7919 + i) : m)) };
}

function baselineMasks(
  method: BaselineMethod,
  graph: ModelGraph,
  kernels: KernelValues[],
  consumers: string[],
  zeros: Map<string, number>,
  seed: number,
  measured?: LabelSets,
): MaskPlan {
  switch (method) {
    case 'magnitude':
      return { method, masks: magnitudeMasks(kernels, zeros), notes: [] };
    case 'global-magnitude': {
      const total = [...zeros.values()].reduce((a, b) => a + b, 0);
      return { method, masks: globalMagnitudeMasks(kernels, total), notes: ['global-magnitude matches the total number of zeros over the targeted layers, not each layer.'] };
    }
    case 'l1-kernel':
      return { method, masks: l1KernelMasks(kernels, zeros), notes: [] };
    case 'random':
      return { method, masks: randomSliceMasks(kernels, zeros, seed), notes: [] };
    case 'random-afcc': {
      if (!measured) throw new Error('random-afcc needs the SFP label sets of the model (k is matched to the measured mean |L|).');
      const { masks, k } = randomAfccMasks(graph, measured, consumers, seed);
      const raw = masks.map((m) => `${m.layer} ${((maskZeros(m) / m.keep.length) * 100).toFixed(1)}%`).join(', ');
      const matched = masks.map((m, i) => (zeros.has(m.layer) ? matchZeros(kernels[i], m, zeros.get(m.layer)!, seed * 17 + i) : m));
      const ks = [...k.entries()].map(([name, v]) => `${name} k=${v}`).join(', ');
      return { method, masks: matched, notes: [`random-afcc label sets: ${ks}; before matching the reference sparsity: ${raw}.`] };
    }
  }
}
