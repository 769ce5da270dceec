// Detail of one analysed layer: the SFP grid (each filter's C×C matrix, clusters outlined), the
// AFCC connection mask to the next analysed layer (or the output), and the label-set histogram.
import type { SfpLayer, SfpSection, TargetDecision } from '../../src/protocol/report';
import { barChart } from '../charts';
import { labelSetText } from '../classes';
import { h } from '../dom';
import { fixed, int, pct, snr } from '../format';
import { decisionMask, labelSetSizeHistogram, maskToRgba, orderFilters, type FilterOrder } from '../sfp/connections';
import { matricesFromClusters, paintGrid, type GridJob } from '../sfp/gridCanvas';
import { parseCssColour, type HeatPalette, type Rgb } from '../sfp/heatmap';

export interface MatricesState {
  status: 'loading' | 'ready' | 'missing';
  data?: Float32Array;
  reason?: string;
}

function cssColour(name: string, fallback: Rgb): Rgb {
  return parseCssColour(getComputedStyle(document.body).getPropertyValue(name), fallback);
}

export function themePalette(): HeatPalette {
  return {
    background: cssColour('--vscode-editor-background', [30, 30, 30]),
    negative: cssColour('--vscode-charts-blue', [55, 148, 255]),
    positive: cssColour('--vscode-charts-orange', [209, 134, 22]),
    hot: cssColour('--vscode-charts-yellow', [204, 167, 0]),
  };
}

/** Body padding, the grid box's border and a vertical scroll bar. */
const GRID_MARGIN_PX = 56;

export interface SfpDetail {
  element: HTMLElement;
  /** Settles when the grid's tiles in view are painted (after the latest change). */
  readonly painted: Promise<void>;
  /** The layer's matrices arrived (or turned out missing): paint the grid, keep the rest. */
  setMatrices(matrices: MatricesState): void;
  /** Re-sorts the grid's tiles; nothing else is rebuilt. */
  setOrder(order: FilterOrder): void;
  dispose(): void;
}

/**
 * The detail is built in small steps so no single task blocks the page: the stats and the grid's
 * frame first, the grid tiles per animation frame (gridCanvas), and the connection mask and
 * histogram (512 × 512 label-set intersections) in a later task.
 */
/** A targeted kernel whose in-channels this unit's label sets judged, and what the engine kept. */
export interface ReadingTarget {
  name: string;
  decision: TargetDecision;
}

export function renderSfpDetail(sfp: SfpSection, layer: SfpLayer, matrices: MatricesState, order: FilterOrder, onOrder: (o: FilterOrder) => void, classNames?: string[], readers: ReadingTarget[] = []): SfpDetail {
  const classes = sfp.classes;
  const reader = readers[0];
  const stats = h('dl', { class: 'facts' },
    ...[['Readout top-1', pct(layer.readoutAccuracy, 2)], ['Filters', int(layer.filters.length)], ['Mean |L(f)|', fixed(layer.meanLabels)], ['Mean noise', fixed(layer.meanNoise)],
      ['Clusters / filter', fixed(layer.clustersPerFilter)], ['SNR A / B', `${snr(layer.snrA)} / ${snr(layer.snrB)}`], ['Empty filters', pct(layer.emptyFilters)]]
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
  const select = h('vscode-single-select', { 'aria-label': 'Order filters by', onchange: (e: Event) => onOrder((e.target as HTMLSelectElement).value as FilterOrder) },
    h('vscode-option', { value: 'index', selected: order === 'index' }, 'filter index'),
    h('vscode-option', { value: 'labels', selected: order === 'labels' }, 'label-set size'),
    h('vscode-option', { value: 'noise', selected: order === 'noise' }, 'noise'),
  );
  const grid = h('canvas', { class: 'sfp-grid', 'data-testid': 'sfp-grid', role: 'img', 'aria-label': `SFP matrices of ${layer.filters.length} filters of ${layer.name}` });
  const tip = h('div', { class: 'muted', 'data-testid': 'sfp-filter-info' }, 'Point at a filter to see its label set.');
  const source = h('p', { class: 'muted' });
  const scroller = h('div', { class: 'grid-scroll' }, grid);
  const gridSection = h('section', { class: 'sfp' }, h('h3', {}, `SFP grid — ${layer.name}`), h('div', { class: 'row' }, h('span', {}, 'Order by '), select), source, tip, scroller);

  let job: GridJob | undefined;
  let painted: Promise<void> = Promise.resolve();
  let current = matrices;
  let currentOrder = order;
  let disposed = false;
  const paint = () => {
    job?.cancel();
    job = undefined;
    source.textContent = current.status === 'ready'
      ? `Normalised SFP matrices (rows: true label, columns: output unit), threshold ${sfp.threshold}; outlines: clusters.`
      : current.status === 'loading' ? 'Loading matrices…' : `${current.reason ?? 'No matrices stored.'}`;
    if (current.status === 'loading' || disposed) {
      painted = Promise.resolve();
      return;
    }
    const data = current.status === 'ready' && current.data ? current.data : matricesFromClusters(layer.filters, classes);
    const colours = () => ({ palette: themePalette(), outline: getComputedStyle(document.body).getPropertyValue('--vscode-focusBorder').trim() || '#0090f1' });
    // From the window, not the page's layout: reading an element's width here would force a layout.
    const width = Math.max(320, window.innerWidth - GRID_MARGIN_PX);
    job = paintGrid(scroller, grid, layer.filters, orderFilters(layer.filters, currentOrder), data, classes, sfp.threshold, colours, width);
    painted = job.done;
  };
  grid.addEventListener('mousemove', (e) => {
    const f = job?.filterAtClient(e.clientX, e.clientY);
    tip.textContent = f ? `Filter #${f.index}: L(f) = ${labelSetText(f.labels, classNames)}, clusters ${f.clusters.map((c) => labelSetText(c, classNames)).join(' ') || 'none'}, noise ${f.noise < 0 ? '—' : f.noise}` : 'Point at a filter to see its label set.';
  });

  const maskTitle = h('h3', {}, reader ? `AFCC connections ${layer.name} → ${reader.decision.outputUnits === 'classes' ? `${reader.name} (output classes)` : reader.name}` : 'AFCC connections');
  const maskSection = h('section', { class: 'mask-section' }, maskTitle, h('p', { class: 'muted' }, reader ? 'Drawing the connections the run kept…' : `No pruned layer of this run reads ${layer.name}: a prune run's report shows the connections it kept.`));
  const histogramSection = h('section', {});
  const element = h('section', { class: 'layer-detail', 'data-testid': 'layer-detail', 'data-layer': layer.name }, h('h2', {}, layer.name, ' ', h('span', { class: 'muted' }, layer.className)), stats, gridSection, h('div', { class: 'two-col' }, maskSection, histogramSection));
  const later = setTimeout(() => {
    if (disposed) return;
    if (reader) {
      const mask = decisionMask(reader.decision);
      const maskCanvas = h('canvas', { class: 'mask', 'data-testid': 'connection-mask', role: 'img' });
      maskCanvas.width = mask.cols;
      maskCanvas.height = mask.rows;
      const kept = cssColour('--vscode-charts-green', [55, 148, 70]);
      const removed = cssColour('--vscode-editor-background', [30, 30, 30]);
      maskCanvas.getContext('2d')?.putImageData(new ImageData(maskToRgba(mask, kept, removed) as Uint8ClampedArray<ArrayBuffer>, mask.cols, mask.rows), 0, 0);
      maskCanvas.style.width = `${Math.min(640, Math.max(mask.cols, 160))}px`;
      const rowsText = reader.decision.outputUnits === 'classes' ? `${mask.rows} classes` : `${mask.rows} out-channels of ${reader.name} (judged by ${reader.decision.outputUnits.join(' + ')})`;
      const others = readers.length > 1 ? ` Also read by ${readers.slice(1).map((r) => r.name).join(', ')}.` : '';
      maskSection.replaceChildren(maskTitle,
        h('p', { class: 'muted' }, `Columns: ${mask.cols} in-channels of ${reader.name} (judged by ${reader.decision.inputUnits.join(' + ')}); rows: ${rowsText}. Kept by the engine: ${int(mask.keptCount)} of ${int(mask.rows * mask.cols)} slices (${pct(mask.keptCount / Math.max(1, mask.rows * mask.cols))}).${others}`),
        maskCanvas,
      );
    }
    histogramSection.replaceChildren(barChart(labelSetSizeHistogram(layer.filters), { title: 'Filters per label-set size |L(f)|', xLabel: '|L(f)|', yLabel: 'filters' }));
  }, 0);
  paint();
  return {
    element,
    get painted() {
      return painted;
    },
    setMatrices: (m) => {
      current = m;
      paint();
    },
    setOrder: (o) => {
      if (o === currentOrder) return;
      currentOrder = o;
      paint();
    },
    dispose: () => {
      disposed = true;
      clearTimeout(later);
      job?.cancel();
    },
  };
}
