// Which mask methods the budget runs, and the masks of one method at per-layer sparsities:
// magnitude-like methods directly (the share of each kernel's weights), AFCC-like methods through
// their threshold search per layer (prune/threshold.ts: the smallest threshold whose masks reach
// the sparsity on that kernel).
import type { PruneMethod } from '../../protocol/report';
import type { ModelGraph } from '../sfp/graph';
import type { SfpAnalysis } from '../sfp/analyze';
import { needsSfp, planMasks } from '../prune/pipeline';
import type { MaskPlan } from '../prune/methods';
import type { KernelMask } from '../graph/masks';
import { targetByName } from '../sfp/graph';
import { EngineFailure } from '../core/errors';

/**
 * Every method, classified for the budget: 'afcc' (label sets, reached by a threshold search),
 * 'magnitude', other baselines (run when asked by name), and 'structured' (not a mask; refused).
 * A Record over PruneMethod: a method added to the protocol must be classified here to compile,
 * and every 'afcc' or 'magnitude' entry joins `--method auto`.
 */
const ROLE: Record<PruneMethod, 'afcc' | 'magnitude' | 'baseline' | 'structured'> = {
  afcc: 'afcc',
  'afcc-balanced': 'afcc',
  'afcc-hybrid': 'afcc',
  magnitude: 'magnitude',
  'global-magnitude': 'baseline',
  'l1-kernel': 'baseline',
  random: 'baseline',
  'random-afcc': 'baseline',
  'sfp-filters': 'structured',
};

/** The methods `--method auto` runs under the budget: AFCC (and its variants) and magnitude. */
export function autoMethods(): PruneMethod[] {
  return (Object.keys(ROLE) as PruneMethod[]).filter((m) => ROLE[m] === 'afcc' || ROLE[m] === 'magnitude');
}

export function budgetMethods(requested: PruneMethod | 'auto'): PruneMethod[] {
  if (requested === 'auto') return autoMethods();
  if (ROLE[requested] === 'structured') throw new EngineFailure('unsupported', `--method ${requested} removes whole filters and has no per-layer sparsity; the budget runs mask methods (afcc, magnitude, …) or auto`);
  if (requested === 'global-magnitude') throw new EngineFailure('unsupported', '--method global-magnitude sets one threshold over all layers, not a sparsity per layer; use magnitude with --max-drop');
  return [requested];
}

/** The layers a method can prune on its own: AFCC-like methods need label sets on the in-channels. */
export function prunableBy(graph: ModelGraph, method: PruneMethod, layers: string[]): string[] {
  return layers.filter((name) => !needsSfp(method) || targetByName(graph, name).inputUnits !== null);
}

export interface LayerMaskRequest {
  graph: ModelGraph;
  method: PruneMethod;
  seed: number;
  threshold: number;
  analysis?: SfpAnalysis;
}

/**
 * The mask of one layer at `sparsity` (0 keeps every weight); null where the method cannot reach
 * it (AFCC's largest threshold leaves more weights). Through prune/pipeline's planMasks, so every
 * method registered there works the same way here.
 */
export function layerMask(request: LayerMaskRequest, layer: string, sparsity: number): KernelMask | null {
  const target = targetByName(request.graph, layer);
  if (sparsity <= 0) return { layer, shape: target.kernelShape, keep: new Uint8Array(target.kernelShape.reduce((a, b) => a * b, 1)).fill(1) };
  try {
    const plan = planMasks({ method: request.method, graph: request.graph, targets: [layer], seed: request.seed, threshold: request.threshold, sparsity, targetSparsity: sparsity, analysis: request.analysis });
    return plan.masks[0] ?? null;
  } catch (error) {
    if (error instanceof EngineFailure && error.code === 'mismatch' && /no cluster threshold reaches/.test(error.message)) return null;
    throw error;
  }
}

/** Masks of every layer of an allocation, as one plan; a layer the method cannot bring that far is refused. */
export function allocationPlan(request: LayerMaskRequest, layerSparsity: Record<string, number>): MaskPlan {
  const masks = Object.entries(layerSparsity).map(([layer, sparsity]) => {
    const mask = layerMask(request, layer, sparsity);
    if (!mask) throw new EngineFailure('mismatch', `${request.method} cannot reach ${(sparsity * 100).toFixed(1)}% on ${layer}`);
    return mask;
  });
  return { method: request.method, masks, notes: [] };
}
