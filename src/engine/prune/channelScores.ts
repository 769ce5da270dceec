// What AFCC's label sets are made of, per unit channel: the diagonal of the channel's normalised
// SFP matrix, d(c) = S[c,c] / max S (METHOD.md §4 step 3). Every label whose diagonal entry passes
// the threshold ends up in one of the channel's clusters (§5: singletons are allowed), so AFCC's
// label set at threshold t is exactly L_t = {c : d(c) > t}. The AFCC variants (balanced.ts,
// hybrid.ts) work on these values, or on per-class ranks made from them, per targeted kernel.
import type { SfpAnalysis } from '../sfp/analyze';
import { requireLinked, type ModelGraph, type UnitRef } from '../sfp/graph';
import { EngineFailure } from '../core/errors';

/** A per-channel, per-class table of one unit: values[f·C + c]. */
export interface ChannelTable {
  channels: number;
  classes: number;
  values: Float64Array;
}

export type ChannelTables = Map<string, ChannelTable>;

/**
 * d_f(c) for every analysed unit. A channel whose matrix was flagged empty (maximum ≤ 0) has no
 * label at any threshold: −Infinity, so it never passes one.
 */
export function unitDiagonals(analysis: SfpAnalysis): ChannelTables {
  const tables: ChannelTables = new Map();
  for (const layer of analysis.layers) {
    const { filters, classes, data, empty } = layer.matrices;
    const values = new Float64Array(filters * classes);
    for (let f = 0; f < filters; f++) {
      for (let c = 0; c < classes; c++) values[f * classes + c] = empty[f] ? -Infinity : data[f * classes * classes + c * classes + c]!;
    }
    tables.set(layer.block.name, { channels: filters, classes, values });
  }
  return tables;
}

/** The rows of a kernel's side: one row (C values) per channel ref. */
function rowsOf(refs: UnitRef[], tables: ChannelTables): Float64Array[] {
  return refs.map(({ unit, channel }) => {
    const table = tables.get(unit);
    if (!table) throw new EngineFailure('mismatch', `${unit}: no SFP label sets (analyse this unit first)`);
    return table.values.subarray(channel * table.classes, (channel + 1) * table.classes);
  });
}

/**
 * A targeted kernel's two sides as table rows: in-channel f reads `inputs[f]`, out-channel o
 * writes `outputs[o]`; `outputs` is null at the classifier, whose out-channel o is class o.
 */
export interface KernelSides {
  inputs: Float64Array[];
  outputs: Float64Array[] | null;
  classes: number;
}

export function kernelSides(graph: ModelGraph, name: string, tables: ChannelTables): KernelSides {
  const target = requireLinked(graph, name);
  return {
    inputs: rowsOf(target.inputUnits!, tables),
    outputs: target.isOutput ? null : rowsOf(target.outputUnits, tables),
    classes: graph.classes,
  };
}

/**
 * One score per slice of a kernel, indexed f·O + o: `pair(row_f, row_o)` between two units, the
 * in-channel's own value for class o at the classifier.
 */
export function sliceScores(sides: KernelSides, pair: (input: Float64Array, output: Float64Array) => number): Float64Array {
  const { inputs, outputs, classes } = sides;
  const outCount = outputs ? outputs.length : classes;
  const scores = new Float64Array(inputs.length * outCount);
  inputs.forEach((row, f) => {
    for (let o = 0; o < outCount; o++) scores[f * outCount + o] = outputs ? pair(row, outputs[o]!) : row[o]!;
  });
  return scores;
}
