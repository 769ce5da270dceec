// From SFP matrices to AFCC masks at a cluster threshold, and the threshold search behind
// --target-sparsity. The matrices are computed once; only the clustering is redone per threshold.
import { layerClusters, type SfpAnalysis } from '../sfp/analyze';
import { afccMasks, maskSparsity, type LabelSets } from './afcc';
import type { MaskSet } from '../graph/masks';
import { EngineFailure } from '../core/errors';

export function labelSetsAt(analysis: SfpAnalysis, threshold: number): LabelSets {
  const sets: LabelSets = new Map();
  for (const layer of analysis.layers) sets.set(layer.block.name, layerClusters(layer, threshold).map((f) => f.labels));
  return sets;
}

export function afccMasksAt(analysis: SfpAnalysis, consumers: string[], threshold: number): MaskSet {
  return afccMasks(analysis.graph, labelSetsAt(analysis, threshold), consumers);
}

export interface ThresholdChoice {
  threshold: number;
  masks: MaskSet;
  /** Zeros over all targeted kernels together. */
  sparsity: number;
}

/**
 * One threshold shared by all targeted layers (a block's label sets serve both the kernel into it
 * and the kernel out of it, so per-layer thresholds would contradict each other): the smallest
 * threshold whose combined sparsity over the targeted kernels is at least `target`. Scans a grid
 * of 0.01 (sparsity is not strictly monotone in the threshold, the cluster pass is greedy), then
 * bisects between the last grid point below the target and the first one at or above it.
 */
export function searchThreshold(analysis: SfpAnalysis, consumers: string[], target: number): ThresholdChoice {
  const at = (t: number): ThresholdChoice => {
    const masks = afccMasksAt(analysis, consumers, t);
    return { threshold: t, masks, sparsity: maskSparsity(masks) };
  };
  let below = at(0);
  if (below.sparsity >= target) return below;
  let above: ThresholdChoice | null = null;
  for (let step = 1; step < 100; step++) {
    const next = at(step / 100);
    if (next.sparsity >= target) {
      above = next;
      break;
    }
    below = next;
  }
  if (!above) {
    const best = at(0.999);
    if (best.sparsity < target) {
      throw new EngineFailure('mismatch', `no cluster threshold reaches ${(target * 100).toFixed(1)}% sparsity on ${consumers.join(', ')}: the most AFCC gives is ${(best.sparsity * 100).toFixed(1)}% (threshold 0.999)`);
    }
    above = best;
  }
  for (let i = 0; i < 12; i++) {
    const mid = (below.threshold + above.threshold) / 2;
    const next = at(mid);
    if (next.sparsity >= target) above = next;
    else below = next;
  }
  // Report a readable threshold whose masks are the ones returned.
  const rounded = at(Math.ceil(above.threshold * 1e4) / 1e4);
  return rounded.sparsity >= target ? rounded : above;
}
