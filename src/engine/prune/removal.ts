// What structured removal (--structured) is asked to remove beyond the dead filters, and the
// report section that compares the written model with the input layer by layer.
import type * as tf from '@tensorflow/tfjs';
import type { LayerStats, StructuredInfo, StructuredLayer } from '../../protocol/report';
import type { SfpAnalysis } from '../sfp/analyze';
import { layerStats } from '../stats';
import { requireLinked, type ModelGraph } from '../sfp/graph';
import { labelSetsAt } from './threshold';
import type { LabelSets } from './afcc';

/**
 * AFCC: the unit channels with an empty SFP label set at `threshold` that a targeted kernel reads,
 * by unit name (the node starting the unit). AFCC already cut every connection from them in the
 * targeted kernels; naming them makes the removal explicit: structured removal reports any of them
 * that another layer still reads, instead of removing it silently.
 */
export function emptyLabelFilters(analysis: SfpAnalysis, graph: ModelGraph, targets: string[], threshold: number): Record<string, number[]> {
  return emptyChannels(labelSetsAt(analysis, threshold), graph, targets);
}

/** The unit channels with an empty label set in `sets` that a targeted kernel reads, by unit name. */
export function emptyChannels(sets: LabelSets, graph: ModelGraph, targets: string[]): Record<string, number[]> {
  const empty = new Map<string, Set<number>>();
  for (const name of targets) {
    for (const { unit, channel } of requireLinked(graph, name).inputUnits!) {
      if (sets.get(unit)?.[channel]?.length !== 0) continue;
      if (!empty.has(unit)) empty.set(unit, new Set());
      empty.get(unit)!.add(channel);
    }
  }
  return Object.fromEntries([...empty].map(([unit, channels]) => [unit, [...channels].sort((a, b) => a - b)]));
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
