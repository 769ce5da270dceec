// Which columns the layer table shows: those that say something about these rows, and of them as
// many as fit the panel's width, in an order of importance (layer, params, after and Δ always).
// Widths are estimated from the text, never measured, so building the table reads no layout. Pure.
import { change, fixed, int, macs, pct, shape, snr } from './format';
import type { LayerRow, SortKey } from './layerRows';

export type ColumnId =
  | 'name' | 'class' | 'shape' | 'params' | 'after' | 'delta' | 'sparsityBefore' | 'sparsityAfter' | 'filters' | 'macs'
  | 'readout' | 'labels' | 'noise' | 'snr';

export interface LayerColumn {
  id: ColumnId;
  label: string;
  /** What the column means (the header's tooltip). */
  title: string;
  sort: SortKey;
  numeric: boolean;
  text(row: LayerRow): string;
}

/** Indentation of a layer per level of nesting (nested model, block). */
export const INDENT_PX = 12;
/** Longer layer names are cut with an ellipsis (the full name is the cell's tooltip). */
export const NAME_MAX_CHARS = 28;
/** An estimate of one character's width at the workbench's 13 px font, generous on purpose. */
const CHAR_PX = 7.5;
const BAR_PX = 66;
const TAG_PX = 56;
/** VS Code's webview style draws 10 px scroll bars. */
const SCROLLBAR_PX = 10;

const filtersText = (r: LayerRow): string =>
  r.filtersBefore === null || r.filtersBefore === undefined ? '—' : r.filtersAfter !== undefined && r.filtersAfter !== null && r.filtersAfter !== r.filtersBefore ? `${r.filtersBefore} → ${r.filtersAfter}` : String(r.filtersBefore);

const COLUMNS: LayerColumn[] = [
  { id: 'name', label: 'Layer', title: 'Layer name', sort: 'name', numeric: false, text: (r) => r.label },
  { id: 'class', label: 'Class', title: 'Layer class', sort: 'className', numeric: false, text: (r) => r.className },
  { id: 'shape', label: 'Output shape', title: 'Output shape without the batch dimension (sorts by model order)', sort: 'order', numeric: false, text: (r) => (r.outputShape ? shape(r.outputShape) : '') },
  { id: 'params', label: 'Params', title: 'Parameters of the layer in the input model', sort: 'params', numeric: true, text: (r) => (r.params === undefined ? '' : int(r.params)) },
  { id: 'after', label: 'After', title: 'Non-zero parameters after pruning', sort: 'paramsAfter', numeric: true, text: (r) => (r.paramsAfter === undefined ? '' : int(r.paramsAfter)) },
  { id: 'delta', label: 'Δ', title: 'Change in non-zero parameters', sort: 'paramsChange', numeric: true, text: (r) => (r.paramsChange === undefined ? '' : change(r.paramsChange)) },
  { id: 'sparsityBefore', label: 'Sparsity before', title: 'Share of zero weights in the input model', sort: 'sparsityBefore', numeric: true, text: (r) => (r.sparsityBefore === undefined ? '' : pct(r.sparsityBefore)) },
  { id: 'sparsityAfter', label: 'Sparsity after', title: 'Share of zero weights after pruning', sort: 'sparsityAfter', numeric: true, text: (r) => (r.sparsityAfter === undefined ? '' : pct(r.sparsityAfter)) },
  { id: 'filters', label: 'Filters', title: 'Conv filters or dense units (before → after when they changed)', sort: 'filtersAfter', numeric: true, text: filtersText },
  { id: 'macs', label: 'MACs', title: 'Multiply-accumulates per sample', sort: 'macs', numeric: true, text: (r) => (r.macs === undefined ? '' : macs(r.macs)) },
  { id: 'readout', label: 'Readout top-1', title: "Top-1 of the SFP readout on this layer's features", sort: 'readout', numeric: true, text: (r) => (r.sfp ? pct(r.sfp.readoutAccuracy, 2) : '') },
  { id: 'labels', label: 'Mean |L(f)|', title: "Mean size of the filters' label sets", sort: 'labels', numeric: true, text: (r) => (r.sfp ? fixed(r.sfp.meanLabels) : '') },
  { id: 'noise', label: 'Noise', title: 'Mean noise of the filters with a cluster', sort: 'noise', numeric: true, text: (r) => (r.sfp ? fixed(r.sfp.meanNoise) : '') },
  { id: 'snr', label: 'SNR', title: 'Signal-to-noise ratio A (∞ without noise)', sort: 'snr', numeric: true, text: (r) => (r.sfp ? snr(r.sfp.snrA) : '') },
];

/** The columns a narrowing panel keeps longest come first. */
const KEEP_ORDER: ColumnId[] = ['name', 'params', 'after', 'delta', 'sparsityAfter', 'class', 'filters', 'readout', 'sparsityBefore', 'macs', 'shape', 'labels', 'noise', 'snr'];
const ALWAYS = new Set<ColumnId>(['name', 'params', 'after', 'delta']);

/**
 * The columns with something to say about these rows, in display order. A column no row has a
 * value in is left out, and so is the sparsity before pruning when every layer shows 0.0%.
 */
export function informativeColumns(rows: LayerRow[]): LayerColumn[] {
  const some = (test: (r: LayerRow) => boolean) => rows.some(test);
  const pruned = some((r) => r.paramsAfter !== undefined);
  const shows: Record<ColumnId, boolean> = {
    name: rows.length > 0,
    class: rows.length > 0,
    shape: some((r) => r.outputShape !== undefined),
    params: some((r) => r.params !== undefined),
    after: pruned,
    delta: pruned,
    sparsityBefore: some((r) => r.sparsityBefore !== undefined && pct(r.sparsityBefore) !== pct(0)),
    sparsityAfter: some((r) => r.sparsityAfter !== undefined),
    filters: some((r) => r.filtersBefore !== undefined && r.filtersBefore !== null),
    macs: some((r) => r.macs !== undefined),
    readout: some((r) => r.sfp !== undefined),
    labels: some((r) => r.sfp !== undefined),
    noise: some((r) => r.sfp !== undefined),
    snr: some((r) => r.sfp !== undefined),
  };
  return COLUMNS.filter((c) => shows[c.id]).map((c) => (c.id === 'sparsityBefore' && !pruned ? { ...c, label: 'Sparsity', title: 'Share of zero weights' } : c));
}

export interface TableLayout {
  columns: LayerColumn[];
  compact: boolean;
  /** False when the 'pruned' tags are left out to make room (the Δ column says it too). */
  tags: boolean;
  /** Room for a layer's name with its indentation, when the names must be cut to fit the panel. */
  nameMaxPx?: number;
}

/** A name is never cut shorter than this (about 8 characters). */
const NAME_MIN_PX = 60;

/** Estimated width of a column in px: its widest text (or header), bars, tag, indentation, padding. */
export function columnWidth(column: LayerColumn, rows: LayerRow[], options: { compact: boolean; grouped: boolean; tags?: boolean }): number {
  const padding = options.compact ? 10 : 16;
  let widest = (column.label.length + 2) * CHAR_PX; // room for the sort arrow
  for (const r of rows) {
    let w = Math.min(column.text(r).length, column.id === 'name' ? NAME_MAX_CHARS : Infinity) * CHAR_PX;
    if (column.id === 'name') {
      if (r.targeted && options.tags !== false) w += TAG_PX;
      if (options.grouped) w += r.group.length * INDENT_PX;
    }
    if (!options.compact && (column.id === 'sparsityBefore' ? r.sparsityBefore : column.id === 'sparsityAfter' ? r.sparsityAfter : undefined) !== undefined) w += BAR_PX;
    widest = Math.max(widest, w);
  }
  return Math.ceil(widest + padding);
}

/** The page's side padding at a width: media/panel.css shrinks it from 16 px to 8 px per side below 400 px. */
export function pagePaddingPx(widthPx: number): number {
  return 2 * Math.min(16, Math.max(8, (widthPx - 320) / 10));
}

function fit(columns: LayerColumn[], rows: LayerRow[], widthPx: number, grouped: boolean, compact: boolean, tags = true): TableLayout & { overflows: boolean } {
  const available = widthPx - pagePaddingPx(widthPx) - SCROLLBAR_PX;
  const byId = new Map(columns.map((c) => [c.id, c]));
  const keep = new Set<ColumnId>();
  let used = 0;
  let nameWidth = 0;
  for (const id of KEEP_ORDER) {
    const column = byId.get(id);
    if (!column) continue;
    const width = columnWidth(column, rows, { compact, grouped, tags });
    // The first column that does not fit ends the list: a narrower, less important one does not
    // jump in, so widening the panel only ever adds columns.
    if (!ALWAYS.has(id) && used + width > available) break;
    keep.add(id);
    used += width;
    if (id === 'name') nameWidth = width;
  }
  // Compact and still too wide: the tags give way first, then the names (cut with an ellipsis).
  if (compact && used > available && tags && rows.some((r) => r.targeted)) return fit(columns, rows, widthPx, grouped, compact, false);
  const layout: TableLayout = { columns: columns.filter((c) => keep.has(c.id)), compact, tags };
  if (compact && used > available && nameWidth > 0) {
    const padding = 10;
    const cut = Math.max(NAME_MIN_PX, nameWidth - padding - (used - available));
    if (cut < nameWidth - padding) {
      layout.nameMaxPx = Math.floor(cut);
      used -= nameWidth - padding - cut;
    }
  }
  return { ...layout, overflows: used > available };
}

/**
 * The columns to show in a panel `widthPx` wide: the essential ones always (a table wider than the
 * panel scrolls sideways), then the others in order of importance while they fit; in display
 * order. Compact (tight cells, no bars) when that fits more columns than the roomy layout, or
 * keeps the essential ones from scrolling.
 */
export function fitColumns(columns: LayerColumn[], rows: LayerRow[], widthPx: number, grouped: boolean): TableLayout {
  const roomy = fit(columns, rows, widthPx, grouped, false);
  const compact = fit(columns, rows, widthPx, grouped, true);
  const useCompact = compact.columns.length > roomy.columns.length || (compact.columns.length === roomy.columns.length && roomy.overflows);
  const { overflows: _overflows, ...layout } = useCompact ? compact : roomy;
  return layout;
}
