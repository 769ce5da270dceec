// The sortable per-layer table. Clicking a row selects the layer (detail below, editor beside).
import { bar, h } from '../dom';
import { fixed, int, macs, pct, shape, snr } from '../format';
import { sortRows, type LayerRow, type SortKey } from '../layerRows';

export interface TableSort {
  key: SortKey;
  descending: boolean;
}

const COLUMNS: { key: SortKey; label: string; numeric: boolean; sfp?: boolean }[] = [
  { key: 'name', label: 'Layer', numeric: false },
  { key: 'className', label: 'Class', numeric: false },
  { key: 'order', label: 'Output shape', numeric: false },
  { key: 'params', label: 'Params', numeric: true },
  { key: 'sparsityBefore', label: 'Sparsity before', numeric: true },
  { key: 'sparsityAfter', label: 'Sparsity after', numeric: true },
  { key: 'filtersAfter', label: 'Filters', numeric: true },
  { key: 'macs', label: 'MACs', numeric: true },
  { key: 'readout', label: 'Readout top-1', numeric: true, sfp: true },
  { key: 'labels', label: 'Mean |L(f)|', numeric: true, sfp: true },
  { key: 'noise', label: 'Noise', numeric: true, sfp: true },
  { key: 'snr', label: 'SNR', numeric: true, sfp: true },
];

export function renderLayerTable(rows: LayerRow[], sort: TableSort, selected: string | undefined, onSort: (s: TableSort) => void, onSelect: (name: string) => void): HTMLElement {
  const hasSfp = rows.some((r) => r.sfp);
  const hasAfter = rows.some((r) => r.sparsityAfter !== undefined);
  const hasShape = rows.some((r) => r.outputShape);
  const columns = COLUMNS.filter((c) => (hasSfp || !c.sfp) && (hasAfter || c.key !== 'sparsityAfter') && (hasShape || c.label !== 'Output shape'));
  const head = h('tr', {}, ...columns.map((c) => {
    const active = sort.key === c.key && c.label !== 'Output shape';
    return h('th', {
      class: `${c.numeric ? 'num' : ''} sortable`, scope: 'col', 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none', tabindex: 0,
      onclick: () => onSort({ key: c.label === 'Output shape' ? 'order' : c.key, descending: active ? !sort.descending : c.numeric }),
    }, c.label, active ? (sort.descending ? ' ▾' : ' ▴') : '');
  }));
  const body = h('tbody');
  for (const i of sortRows(rows, sort.key, sort.descending)) {
    const r = rows[i];
    const cells: Record<string, HTMLElement | string> = {
      Layer: h('span', {}, r.name, r.targeted ? h('span', { class: 'tag', title: 'targeted by pruning' }, 'pruned') : null),
      Class: r.className,
      'Output shape': r.outputShape ? shape(r.outputShape) : '',
      Params: r.params === undefined ? '' : int(r.params),
      'Sparsity before': r.sparsityBefore === undefined ? '' : h('span', { class: 'bar-cell' }, bar(r.sparsityBefore, 'before'), pct(r.sparsityBefore)),
      'Sparsity after': r.sparsityAfter === undefined ? '' : h('span', { class: 'bar-cell' }, bar(r.sparsityAfter, 'after'), pct(r.sparsityAfter)),
      Filters: r.filtersBefore === null || r.filtersBefore === undefined ? '—' : r.filtersAfter !== undefined && r.filtersAfter !== r.filtersBefore ? `${r.filtersBefore} → ${r.filtersAfter}` : String(r.filtersBefore),
      MACs: r.macs === undefined ? '' : macs(r.macs),
      'Readout top-1': r.sfp ? pct(r.sfp.readoutAccuracy, 2) : '',
      'Mean |L(f)|': r.sfp ? fixed(r.sfp.meanLabels) : '',
      Noise: r.sfp ? fixed(r.sfp.meanNoise) : '',
      SNR: r.sfp ? snr(r.sfp.snrA) : '',
    };
    const select = () => onSelect(r.name);
    body.appendChild(h('tr', {
      class: `${r.name === selected ? 'selected' : ''} ${r.sfp ? 'analysed' : ''}`, tabindex: 0, 'data-layer': r.name, 'aria-selected': r.name === selected ? 'true' : 'false',
      onclick: select, onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Enter') select(); },
    }, ...columns.map((c) => h('td', { class: c.numeric ? 'num' : '' }, cells[c.label]))));
  }
  return h('table', { class: 'layers', 'data-testid': 'layer-table' }, h('thead', {}, head), body);
}
