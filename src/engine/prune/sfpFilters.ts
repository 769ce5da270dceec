// `sfp-filters`: structured pruning guided by single-filter performance. For every targeted
// consumer kernel, the filters of the block feeding it are ranked by SFP strength and only the
// strongest (1 − sparsity) share keeps its outgoing connections; with --structured the others
// are then removed physically (they feed nothing, so removal does not change the function).
//
// SFP strength of filter f (normalised matrix S^f, METHOD.md §4; clusters at the threshold, §5),
// compared lexicographically, strongest first:
//   1. |L(f)| > 0: the filter has at least one cluster (it drives some class on its own);
//   2. d(f) = max_i S^f[i,i], the largest diagonal entry: how strongly the filter's field favours
//      the true label for its best class (1 when its overall maximum is on the diagonal);
//   3. margin m(f) = mean_i S^f[i,i] − mean_{i≠c} S^f[i,c]: diagonal over off-diagonal field,
//      which separates the many filters whose d(f) is exactly 1;
//   4. lower noise (above-threshold entries outside the cluster squares);
//   5. lower index, so the ranking is deterministic.
import type { SfpAnalysis, SfpLayerAnalysis } from '../sfp/analyze';
import { layerClusters } from '../sfp/analyze';
import { expandConnections, kernelGeometry } from './afcc';
import { requireLinked, type ModelGraph } from '../sfp/graph';
import { EngineFailure } from '../core/errors';
import type { MaskSet } from '../graph/masks';

export interface FilterStrength {
  index: number;
  hasCluster: boolean;
  maxDiagonal: number;
  margin: number;
  noise: number;
}

export function filterStrengths(layer: SfpLayerAnalysis, threshold: number): FilterStrength[] {
  const { data, classes, filters } = layer.matrices;
  const clusters = layerClusters(layer, threshold);
  const size = classes * classes;
  const result: FilterStrength[] = [];
  for (let f = 0; f < filters; f++) {
    let maxDiagonal = -Infinity;
    let diagonal = 0;
    let offDiagonal = 0;
    for (let i = 0; i < classes; i++) {
      for (let c = 0; c < classes; c++) {
        const v = data[f * size + i * classes + c];
        if (i === c) {
          diagonal += v;
          if (v > maxDiagonal) maxDiagonal = v;
        } else offDiagonal += v;
      }
    }
    const margin = diagonal / classes - (classes > 1 ? offDiagonal / (classes * (classes - 1)) : 0);
    result.push({ index: f, hasCluster: clusters[f].labels.length > 0, maxDiagonal, margin, noise: Math.max(0, clusters[f].noise) });
  }
  return result;
}

/** Filter indices, strongest first (the order documented at the top of this file). */
export function rankFilters(strengths: FilterStrength[]): number[] {
  return [...strengths]
    .sort((a, b) =>
      Number(b.hasCluster) - Number(a.hasCluster) ||
      b.maxDiagonal - a.maxDiagonal ||
      b.margin - a.margin ||
      a.noise - b.noise ||
      a.index - b.index)
    .map((s) => s.index);
}

/** Filters kept of `filters` at a sparsity: at least one, and never fewer removed than asked. */
export function filtersKept(filters: number, sparsity: number): number {
  return Math.max(1, Math.floor((1 - sparsity) * filters + 1e-9));
}

export interface SfpFilterPlan {
  masks: MaskSet;
  /** Per producer layer, the filter indices that lost their outgoing connections, ascending. */
  removed: Record<string, number[]>;
  notes: string[];
}

/**
 * Masks that cut every outgoing connection of the weakest filters feeding each targeted kernel.
 * The kernel's sparsity is the removed share of its input filters (its own output filters are
 * judged where it is itself a producer).
 */
export function sfpFilterMasks(analysis: SfpAnalysis, graph: ModelGraph, consumers: string[], sparsity: number, threshold: number): SfpFilterPlan {
  if (!(sparsity >= 0 && sparsity < 1)) throw new EngineFailure('mismatch', `sfp-filters needs a sparsity in [0, 1) (got ${sparsity})`);
  const removed: Record<string, number[]> = {};
  const notes: string[] = [];
  const masks = consumers.map((name) => {
    const consumer = requireLinked(graph, name);
    const feeding = [...new Set(consumer.inputUnits!.map((r) => r.unit))];
    if (feeding.length !== 1) {
      throw new EngineFailure('unsupported', `sfp-filters ranks the filters of the one unit feeding a layer, but ${name} reads ${feeding.join(' + ')}`);
    }
    const producer = analysis.layers.find((l) => l.block.name === feeding[0]);
    if (!producer) throw new EngineFailure('mismatch', `${feeding[0]}: no SFP analysis (analyse this unit first)`);
    const filters = producer.matrices.filters;
    const kept = filtersKept(filters, sparsity);
    const order = rankFilters(filterStrengths(producer, threshold));
    const alive = new Uint8Array(filters);
    for (const f of order.slice(0, kept)) alive[f] = 1;
    removed[producer.block.name] = order.slice(kept).sort((a, b) => a - b);
    const geometry = kernelGeometry(consumer);
    const table = new Uint8Array(geometry.inputs * geometry.outputs);
    consumer.inputUnits!.forEach(({ channel }, f) => {
      if (alive[channel]) table.fill(1, f * geometry.outputs, (f + 1) * geometry.outputs);
    });
    notes.push(`sfp-filters: ${producer.block.name} keeps ${kept} of ${filters} filters (its connections into ${name}).`);
    return expandConnections(name, geometry, table);
  });
  return { masks, removed, notes };
}
