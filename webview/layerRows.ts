// One row per layer for the table, whatever the report kind: model stats joined with the SFP
// analysis of that layer when there is one, and where the layer sits (nested model, block). Pure.
import type { Report, SfpLayer, SfpSection } from '../src/protocol/report';

export interface LayerRow {
  /** The report's name of the layer: what selection, the host and the SFP section key on. */
  name: string;
  /** The name shown, without the nested-model path the group already shows. */
  label: string;
  /** Nested models (outermost first), then the block, the layer sits in; [] at the top level. */
  group: string[];
  className: string;
  outputShape?: (number | null)[];
  /** Parameters of the layer in the input model. */
  params?: number;
  /** Non-zero parameters after pruning (prune reports only). */
  paramsAfter?: number;
  /** Relative change of the non-zero parameters (prune reports only; −0.75 = three quarters gone). */
  paramsChange?: number;
  sparsityBefore?: number;
  sparsityAfter?: number;
  filtersBefore?: number | null;
  filtersAfter?: number | null;
  macs?: number;
  targeted?: boolean;
  /** Why the engine cannot prune this layer's kernel (prune reports), from its layer registry. */
  whyNot?: string;
  sfp?: SfpLayer;
}

export function sfpOf(report: Report): SfpSection | undefined {
  return report.kind === 'analyze' || report.kind === 'prune' || report.kind === 'compare' ? report.sfp : undefined;
}

/**
 * Keras names a graph model's repeated units `block1_conv1` (VGG), `conv2_block1_1_conv` (ResNet),
 * `block_1_expand` (MobileNetV2) or `block1a_expand_conv` (EfficientNet): the block is the name up
 * to that token. Names without one sit in no block.
 */
const BLOCK = /^((?:.*?_)?block_?\d+[a-z]?)(?=_)/i;

/**
 * Where a layer sits: the report's nested-model path when it carries one, else the '/'-separated
 * prefix of the name (graph node ids join nested model names with '/'), then its block.
 */
export function placeOf(name: string, path?: string[]): { group: string[]; label: string } {
  let models = path?.filter((p) => p !== '') ?? [];
  let label = name;
  if (models.length === 0 && name.includes('/')) {
    const parts = name.split('/').filter((p) => p !== '');
    label = parts.pop() ?? name;
    models = parts;
  } else if (models.length > 0 && name.startsWith(`${models.join('/')}/`)) {
    label = name.slice(models.join('/').length + 1);
  }
  const block = BLOCK.exec(label)?.[1];
  return { group: block ? [...models, block] : models, label };
}

function nonZero(c: { params: number; zeros: number }): number {
  return c.params - c.zeros;
}

export function layerRows(report: Report): LayerRow[] {
  const sfp = new Map((sfpOf(report)?.layers ?? []).map((l) => [l.name, l]));
  let rows: LayerRow[];
  if (report.kind === 'inspect' || report.kind === 'eval') {
    rows = report.layers.map((l) => ({
      name: l.name, ...placeOf(l.name, l.path), className: l.className, outputShape: l.outputShape, params: l.params, sparsityBefore: l.sparsity, filtersBefore: l.filters, macs: l.macs,
    }));
  } else if (report.kind === 'prune') {
    rows = report.layers.map((l) => {
      const before = nonZero(l.before);
      const after = nonZero(l.after);
      return {
        name: l.name, ...placeOf(l.name, l.path), className: l.className, params: l.before.params, paramsAfter: after, paramsChange: before === 0 ? undefined : after / before - 1,
        sparsityBefore: l.before.sparsity, sparsityAfter: l.after.sparsity, filtersBefore: l.before.filters, filtersAfter: l.after.filters, macs: l.after.macs, targeted: l.targeted, whyNot: l.whyNot,
      };
    });
  } else {
    rows = [];
  }
  const known = new Set(rows.map((r) => r.name));
  for (const r of rows) r.sfp = sfp.get(r.name);
  for (const l of sfp.values()) if (!known.has(l.name)) rows.push({ name: l.name, ...placeOf(l.name), className: l.className, filtersBefore: l.filters.length, sfp: l });
  return rows;
}

export type SortKey =
  | 'order' | 'name' | 'className' | 'params' | 'paramsAfter' | 'paramsChange' | 'sparsityBefore' | 'sparsityAfter' | 'filtersAfter' | 'macs'
  | 'readout' | 'labels' | 'noise' | 'snr';

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
    case 'paramsChange': return row.paramsChange ?? 0;
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
