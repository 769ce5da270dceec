// The sortable per-layer table. Clicking a row selects the layer (detail below, editor beside).
// Its columns fit the panel's width (layerColumns.ts); in model order, layers of nested models and
// blocks sit indented under a row naming their group.
import { bar, h } from '../dom';
import { fitColumns, INDENT_PX, informativeColumns, type ColumnId, type LayerColumn, type TableLayout } from '../layerColumns';
import { sortRows, type LayerRow, type SortKey } from '../layerRows';

export interface TableSort {
  key: SortKey;
  descending: boolean;
}

/** What decides the table's shape at a width: a resize that keeps it need not rebuild the table. */
export function layerTableShape(rows: LayerRow[], sort: TableSort, widthPx: number): string {
  return shapeOf(fitColumns(informativeColumns(rows), rows, widthPx, sort.key === 'order'));
}

const shapeOf = (layout: TableLayout): string => `${layout.compact ? 'compact' : 'wide'}:${layout.tags ? 'tags' : ''}:${layout.nameMaxPx ?? ''}:${layout.columns.map((c) => c.id).join(',')}`;

function cell(column: LayerColumn, r: LayerRow, layout: TableLayout, grouped: boolean): HTMLElement | string {
  const text = column.text(r);
  switch (column.id) {
    case 'name': {
      const indent = grouped ? r.group.length * INDENT_PX : 0;
      const name = h('span', { class: 'layer-name', title: r.whyNot ? `${r.name}: not pruned on its own — ${r.whyNot}` : r.name }, grouped ? r.label : r.name);
      if (indent) name.style.marginLeft = `${indent}px`;
      if (layout.nameMaxPx !== undefined) name.style.maxWidth = `${Math.max(INDENT_PX * 2, layout.nameMaxPx - indent)}px`;
      return h('span', { class: 'name-cell' }, name, r.targeted ? h('span', { class: 'tag', title: 'targeted by pruning' }, 'pruned') : null);
    }
    case 'sparsityBefore':
    case 'sparsityAfter': {
      const value = column.id === 'sparsityBefore' ? r.sparsityBefore : r.sparsityAfter;
      return value === undefined ? '' : h('span', { class: 'bar-cell' }, bar(value, column.id === 'sparsityBefore' ? 'before' : 'after'), text);
    }
    default:
      return text;
  }
}

export function renderLayerTable(rows: LayerRow[], sort: TableSort, selected: string | undefined, onSort: (s: TableSort) => void, onSelect: (name: string) => void, widthPx: number): HTMLElement {
  const grouped = sort.key === 'order';
  const layout = fitColumns(informativeColumns(rows), rows, widthPx, grouped);
  const { columns, compact } = layout;
  const head = h('tr', {}, ...columns.map((c) => {
    const active = sort.key === c.sort && (c.id !== 'shape' || sort.key !== 'order');
    return h('th', {
      class: `${c.numeric ? 'num' : ''} sortable`, scope: 'col', title: c.title, 'data-col': c.id, 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none', tabindex: 0,
      onclick: () => onSort({ key: c.sort, descending: active ? !sort.descending : c.numeric }),
      onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Enter') onSort({ key: c.sort, descending: active ? !sort.descending : c.numeric }); },
    }, c.label, active ? (sort.descending ? ' ▾' : ' ▴') : '');
  }));
  const body = h('tbody');
  let open: string[] = [];
  for (const i of sortRows(rows, sort.key, sort.descending)) {
    const r = rows[i];
    if (grouped) {
      // A tree: a header row for each nested model or block the layer enters, at its depth.
      let same = 0;
      while (same < open.length && same < r.group.length && open[same] === r.group[same]) same++;
      for (let level = same; level < r.group.length; level++) {
        const path = r.group.slice(0, level + 1);
        const label = h('div', { class: 'group-label', title: path.join(' / ') }, r.group[level]);
        label.style.marginLeft = `${level * INDENT_PX}px`;
        body.appendChild(h('tr', { class: 'group', 'data-group': path.join('/') }, h('td', { colspan: columns.length }, label)));
      }
      open = r.group;
    }
    const select = () => onSelect(r.name);
    body.appendChild(h('tr', {
      class: `layer ${r.name === selected ? 'selected' : ''} ${r.sfp ? 'analysed' : ''}`, tabindex: 0, 'data-layer': r.name, 'aria-selected': r.name === selected ? 'true' : 'false',
      onclick: select, onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Enter') select(); },
    }, ...columns.map((c) => h('td', { class: `${c.numeric ? 'num' : ''} col-${c.id}`, 'data-col': c.id as ColumnId }, cell(c, r, layout, grouped)))));
  }
  const table = h('table', { class: `layers${compact ? ' compact' : ''}${layout.tags ? '' : ' no-tags'}`, 'data-testid': 'layer-table', 'data-columns': columns.map((c) => c.id).join(','), 'data-shape': shapeOf(layout) }, h('thead', {}, head), body);
  return h('div', { class: 'table-scroll' }, table);
}
