// What structured removal (--structured) is asked to remove beyond the dead filters, and the
// report section that compares the written model with the input layer by layer.
import type * as tf from '@tensorflow/tfjs';
import type { LayerStats, StructuredInfo, StructuredLayer } from '../../protocol/report';
import type { SfpAnalysis } from '../sfp/analyze';
import { layerStats } from '../stats';
import { requireLinked } from './afcc';
import type { ModelGraph } from '../sfp/graph';
import { labelSetsAt } from './threshold';

/**
 * AFCC: filters whose SFP label set is empty at `threshold`, in the blocks feeding a targeted
 * kernel. AFCC already cut all their outgoing connections; naming them makes the removal
 * explicit and independent of the weights fine-tuning left on their incoming side.
 */
export function emptyLabelFilters(analysis: SfpAnalysis, graph: ModelGraph, consumers: string[], threshold: number): Record<string, number[]> {
  const sets = labelSetsAt(analysis, threshold);
  const result: Record<string, number[]> = {};
  for (const name of consumers) {
    const producer = requireLinked(graph, name).producer!;
    const empty = (sets.get(producer) ?? []).flatMap((labels, f) => (labels.length === 0 ? [f] : []));
    if (empty.length > 0) result[producer] = empty;
  }
  return result;
}

/** Filters or units; for BatchNorm and other per-channel layers, the channels of the output. */
function width(stats: LayerStats): number {
  return stats.filters ?? stats.outputShape[stats.outputShape.length - 1] ?? 0;
}

/** Layers whose width or parameter count differs between `input` and `written`, with totals. */
export function structuredInfo(input: tf.LayersModel, written: tf.LayersModel, bytes: { before: number; after: number }): StructuredInfo {
  const before = layerStats(input);
  const after = new Map(layerStats(written).map((s) => [s.name, s]));
  const layers: StructuredLayer[] = [];
  for (const b of before) {
    const a = after.get(b.name);
    if (!a || (a.params === b.params && a.filters === b.filters)) continue;
    layers.push({
      name: b.name,
      filtersBefore: width(b),
      filtersAfter: width(a),
      paramsBefore: b.params,
      paramsAfter: a.params,
      macsBefore: b.macs,
      macsAfter: a.macs,
    });
  }
  const sum = (stats: { params: number; macs: number }[], key: 'params' | 'macs') => stats.reduce((s, l) => s + l[key], 0);
  const afterStats = [...after.values()];
  return {
    layers,
    params: { before: sum(before, 'params'), after: sum(afterStats, 'params') },
    macs: { before: sum(before, 'macs'), after: sum(afterStats, 'macs') },
    bytes,
  };
}
