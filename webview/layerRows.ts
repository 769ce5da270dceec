// One row per layer for the table, whatever the report kind: model stats joined with the SFP
// analysis of that layer when there is one. Pure.
import type { Report, SfpLayer, SfpSection } from '../src/protocol/report';

export interface LayerRow {
  name: string;
  className: string;
  outputShape?: (number | null)[];
  params?: number;
  sparsityBefore?: number;
  sparsityAfter?: number;
  filtersBefore?: number | null;
  filtersAfter?: number | null;
  macs?: number;
  targeted?: boolean;
  sfp?: SfpLayer;
}

export function sfpOf(report: Report): SfpSection | undefined {
  return report.kind === 'analyze' || report.kind === 'prune' || report.kind === 'compare' ? report.sfp : undefined;
}

export function layerRows(report: Report): LayerRow[] {
  const sfp = new Map((sfpOf(report)?.layers ?? []).map((l) => [l.name, l]));
  let rows: LayerRow[];
  if (report.kind === 'inspect' || report.kind === 'eval') {
    rows = report.layers.map((l) => ({ name: l.name, className: l.className, outputShape: l.outputShape, params: l.params, sparsityBefore: l.sparsity, filtersBefore: l.filters, macs: l.macs }));
  } else if (report.kind === 'prune') {
    rows = report.layers.map((l) => ({
      name: l.name, className: l.className, params: l.after.params, sparsityBefore: l.before.sparsity, sparsityAfter: l.after.sparsity,
      filtersBefore: l.before.filters, filtersAfter: l.after.filters, macs: l.after.macs, targeted: l.targeted,
    }));
  } else {
    rows = [];
  }
  const known = new Set(rows.map((r) => r.name));
  for (const r of rows) r.sfp = sfp.get(r.name);
  for (const l of sfp.values()) if (!known.has(l.name)) rows.push({ name: l.name, className: l.className, filtersBefore: l.filters.length, sfp: l });
  return rows;
}

export type SortKey = 'order' | 'name' | 'className' | 'params' | 'sparsityBefore' | 'sparsityAfter' | 'filtersAfter' | 'macs' | 'readout' | 'labels' | 'noise' | 'snr';

function keyValue(row: LayerRow, key: SortKey, index: number): number | string {
  switch (key) {
    case 'order': return index;
    case 'name': return row.name;
    case 'className': return row.className;
    case 'readout': return row.sfp?.readoutAccuracy ?? -1;
    case 'labels': return row.sfp?.meanLabels ?? -1;
    case 'noise': return row.sfp?.meanNoise ?? -1;
    case 'snr': return row.sfp ? (row.sfp.snrA ?? Number.MAX_VALUE) : -1;
    case 'filtersAfter': return row.filtersAfter ?? row.filtersBefore ?? -1;
    default: return row[key] ?? -1;
  }
}

/** Indices of rows in display order; stable, numeric columns compare as numbers. */
export function sortRows(rows: LayerRow[], key: SortKey, descending: boolean): number[] {
  const order = rows.map((_, i) => i);
  order.sort((a, b) => {
    const va = keyValue(rows[a], key, a);
    const vb = keyValue(rows[b], key, b);
    const c = typeof va === 'string' || typeof vb === 'string' ? String(va).localeCompare(String(vb)) : va - vb;
    return (descending ? -c : c) || a - b;
  });
  return order;
}
