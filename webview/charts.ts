// Line / scatter / bar charts as inline SVG built in the DOM. Colours are --vscode-charts-*
// variables (set in media/panel.css through classes), so themes apply without redrawing.
import { svg } from './dom';

export interface Series {
  name: string;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  categories?: string[];
  yRange?: [number, number];
  pointsOnly?: boolean;
  width?: number;
  height?: number;
  /** Horizontal reference lines across the plot (a baseline, a budget), drawn dashed with their label. */
  hLines?: HLine[];
  /** Axis tick text (default: the number as is). */
  xTick?: (v: number) => string;
  yTick?: (v: number) => string;
}

export interface HLine {
  y: number;
  label: string;
  kind: 'baseline' | 'budget';
}

function range(values: number[]): [number, number] {
  if (!values.length) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.1, hi + (Math.abs(hi) || 1) * 0.1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

const tick = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(1) : String(Number(v.toFixed(Math.abs(v) < 1 ? 3 : 2))));

export function lineChart(series: Series[], o: ChartOptions): SVGElement {
  const W = o.width ?? 560;
  const H = o.height ?? 240;
  const m = { l: 52, r: 12, t: 30, b: o.categories ? 58 : 40 };
  const [x0, x1] = o.categories ? [-0.5, o.categories.length - 0.5] : range(series.flatMap((s) => s.points.map((p) => p[0])));
  const [y0, y1] = o.yRange ?? range([...series.flatMap((s) => s.points.map((p) => p[1])), ...(o.hLines ?? []).map((l) => l.y)]);
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => m.t + (1 - (y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': o.title });
  root.appendChild(svg('text', { x: m.l, y: 14, class: 'chart-title' }, o.title));
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    root.appendChild(svg('line', { x1: m.l, x2: W - m.r, y1: py(y), y2: py(y), class: 'grid', 'data-value': y }));
    root.appendChild(svg('text', { x: m.l - 4, y: py(y) + 4, 'text-anchor': 'end', class: 'tick' }, (o.yTick ?? tick)(y)));
  }
  if (o.categories) {
    const every = Math.max(1, Math.ceil(o.categories.length / 24));
    o.categories.forEach((c, i) => {
      if (i % every === 0) root.appendChild(svg('text', { transform: `translate(${px(i)},${H - m.b + 12}) rotate(35)`, class: 'tick' }, c));
    });
  } else {
    for (let k = 0; k <= 4; k++) {
      const x = x0 + ((x1 - x0) * k) / 4;
      root.appendChild(svg('text', { x: px(x), y: H - m.b + 14, 'text-anchor': 'middle', class: 'tick' }, (o.xTick ?? tick)(x)));
    }
  }
  root.appendChild(svg('text', { x: m.l + (W - m.l - m.r) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis' }, o.xLabel));
  root.appendChild(svg('text', { transform: `translate(12,${m.t + (H - m.t - m.b) / 2}) rotate(-90)`, 'text-anchor': 'middle', class: 'axis' }, o.yLabel));
  for (const line of o.hLines ?? []) {
    const y = py(line.y).toFixed(1);
    root.appendChild(svg('line', { x1: m.l, x2: W - m.r, y1: y, y2: y, class: `hline ${line.kind}`, 'data-testid': `${line.kind}-line`, 'data-value': line.y, role: 'img', 'aria-label': line.label }, svg('title', {}, line.label)));
    // Below its line, inside the plot: the baseline's label at the left, the budget's at the right, so neither meets the legend.
    const left = line.kind === 'baseline';
    root.appendChild(svg('text', { x: left ? m.l + 4 : W - m.r - 2, y: Number(y) + 11, 'text-anchor': left ? 'start' : 'end', class: `hline-label ${line.kind}` }, line.label));
  }
  series.forEach((s, i) => {
    const cls = `series c${i % 6}`;
    if (!o.pointsOnly && s.points.length > 1) {
      root.appendChild(svg('path', { d: s.points.map((p, k) => `${k ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(''), class: cls }));
    }
    for (const p of s.points) {
      root.appendChild(svg('circle', { cx: px(p[0]).toFixed(1), cy: py(p[1]).toFixed(1), r: 3, class: `${cls} dot` }, svg('title', {}, `${s.name}: ${tick(p[1])}`)));
    }
    const lx = m.l + 6 + i * Math.min(130, (W - m.l - m.r) / Math.max(1, series.length));
    root.appendChild(svg('rect', { x: lx, y: m.t - 12, width: 10, height: 10, class: `${cls} dot` }));
    root.appendChild(svg('text', { x: lx + 14, y: m.t - 3, class: 'tick' }, s.name));
  });
  return root;
}

/** Vertical bars of counts[k] (e.g. filters per label-set size k). */
export function barChart(counts: number[], o: ChartOptions): SVGElement {
  const W = o.width ?? 420;
  const H = o.height ?? 180;
  const m = { l: 40, r: 8, t: 26, b: 34 };
  const max = Math.max(1, ...counts);
  const bw = (W - m.l - m.r) / Math.max(1, counts.length);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': o.title });
  root.appendChild(svg('text', { x: m.l, y: 14, class: 'chart-title' }, o.title));
  counts.forEach((c, k) => {
    const bh = (c / max) * (H - m.t - m.b);
    root.appendChild(svg('rect', { x: m.l + k * bw + 1, y: H - m.b - bh, width: Math.max(1, bw - 2), height: bh, class: 'series c0 dot' }, svg('title', {}, `${k}: ${c}`)));
    if (counts.length <= 30 || k % Math.ceil(counts.length / 30) === 0) root.appendChild(svg('text', { x: m.l + k * bw + bw / 2, y: H - m.b + 12, 'text-anchor': 'middle', class: 'tick' }, String(k)));
  });
  root.appendChild(svg('text', { x: m.l - 4, y: m.t + 4, 'text-anchor': 'end', class: 'tick' }, String(max)));
  root.appendChild(svg('text', { x: m.l + (W - m.l - m.r) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis' }, o.xLabel));
  return root;
}
