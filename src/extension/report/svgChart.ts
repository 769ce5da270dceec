// A small line/scatter chart as a standalone SVG string (for the self-contained HTML export).
// Colours come from CSS classes in the export's stylesheet, so light and dark both read well.
import type { ChartSpec } from './document';

const WIDTH = 640;
const HEIGHT = 280;
const MARGIN = { left: 56, right: 16, top: 28, bottom: 56 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Axis range [lo, hi] covering the values, padded, with a sane fallback for a single value. */
export function niceRange(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

export function chartToSvg(spec: ChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...spec.series.flatMap((s) => s.points.map((p) => p[1])), ...(spec.hLines ?? []).map((l) => l.y)];
  const [x0, x1] = spec.xCategories ? [-0.5, spec.xCategories.length - 0.5] : niceRange(xs);
  const [y0, y1] = spec.yRange ?? niceRange(ys);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(spec.title)}">`);
  parts.push(`<text class="chart-title" x="${MARGIN.left}" y="18">${escapeXml(spec.title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${formatTick(y)}</text>`);
  }
  if (spec.xCategories) {
    const every = Math.max(1, Math.ceil(spec.xCategories.length / 20));
    spec.xCategories.forEach((label, i) => {
      if (i % every !== 0) return;
      parts.push(`<text class="tick" transform="translate(${px(i).toFixed(1)},${HEIGHT - MARGIN.bottom + 12}) rotate(35)">${escapeXml(label)}</text>`);
    });
  } else {
    for (let k = 0; k <= 4; k++) {
      const x = x0 + ((x1 - x0) * k) / 4;
      parts.push(`<text class="tick" x="${px(x).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${spec.xPercent ? `${Math.round(x * 100)}%` : formatTick(x)}</text>`);
    }
  }
  parts.push(`<text class="axis" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(14,${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  for (const line of spec.hLines ?? []) {
    const y = py(line.y).toFixed(1);
    parts.push(`<line class="hline ${line.kind}" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke-dasharray="6 4"><title>${escapeXml(line.label)}</title></line>`);
    parts.push(`<text class="hline-label ${line.kind}" x="${WIDTH - MARGIN.right - 2}" y="${(Number(y) - 3).toFixed(1)}" text-anchor="end">${escapeXml(line.label)}</text>`);
  }
  spec.series.forEach((series, s) => {
    const cls = `series s${s % 6}`;
    if (!spec.pointsOnly && series.points.length > 1) {
      const d = series.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
      parts.push(`<path class="${cls}" d="${d}"/>`);
    }
    for (const p of series.points) {
      parts.push(`<circle class="${cls} dot" cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3"><title>${escapeXml(`${series.name}: ${formatTick(p[1])}`)}</title></circle>`);
    }
    const lx = MARGIN.left + 8 + s * 120;
    parts.push(`<rect class="${cls} legend" x="${lx}" y="${MARGIN.top - 2}" width="10" height="10"/><text class="tick" x="${lx + 14}" y="${MARGIN.top + 7}">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function formatTick(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 0.01 || abs >= 1e4)) return v.toExponential(1);
  return Number(v.toFixed(abs < 1 ? 3 : 2)).toString();
}
