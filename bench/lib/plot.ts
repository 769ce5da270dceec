// Small line charts for docs/*.png: an SVG drawn here (no chart library), rendered to PNG by the
// system's headless Chromium through playwright-core. Used by the mechanism benchmark.
import { writeFileSync, renameSync } from 'node:fs';
import { chromium } from 'playwright-core';

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
  /** Dashed line: a reference (published) curve rather than a measurement. */
  dashed?: boolean;
}

export interface Panel {
  title: string;
  yLabel: string;
  categories: string[];
  series: Series[];
  yMin?: number;
  yMax?: number;
}

const W = 420;
const H = 300;
const M = { left: 52, right: 26, top: 34, bottom: 64 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceTicks(min: number, max: number): number[] {
  const span = max - min || 1;
  const step = [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 50].find((s) => span / s <= 6) ?? span / 5;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) ticks.push(Math.round(v * 1000) / 1000);
  return ticks;
}

function panelSvg(p: Panel, x0: number): string {
  const all = p.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const yMin = p.yMin ?? Math.min(...all);
  const yMax = p.yMax ?? Math.max(...all);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (i: number) => x0 + M.left + (p.categories.length === 1 ? pw / 2 : (i * pw) / (p.categories.length - 1));
  const py = (v: number) => M.top + ph - ((v - yMin) / (yMax - yMin || 1)) * ph;
  const parts = [`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`];
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(`<line x1="${x0 + M.left}" x2="${x0 + W - M.right}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${x0 + M.left - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${t}</text>`);
  }
  p.categories.forEach((c, i) => parts.push(`<text x="${px(i)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${esc(c)}</text>`));
  parts.push(`<text transform="translate(${x0 + 14},${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, k) => {
    const points = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(i)},${py(v)}`));
    const path = points.filter((q): q is string => q !== null).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const q of points) if (q) parts.push(`<circle cx="${q.split(',')[0]}" cy="${q.split(',')[1]}" r="3" fill="${s.color}"/>`);
    const ly = M.top + ph + 34 + 14 * Math.floor(k / 2);
    const lx = x0 + M.left + (k % 2) * (pw / 2);
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    parts.push(`<text x="${lx + 22}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

/** Panels side by side in one SVG document. */
export function panelsSvg(panels: Panel[]): string {
  const width = W * panels.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif">
<rect width="${width}" height="${H}" fill="white"/>
${panels.map((p, i) => panelSvg(p, i * W)).join('\n')}
</svg>`;
}

/** Renders the SVG to a PNG file (written atomically) with /usr/bin/chromium, headless. */
export async function svgToPng(svg: string, pngPath: string, executablePath = '/usr/bin/chromium'): Promise<void> {
  const size = /width="(\d+)" height="(\d+)"/.exec(svg);
  const [width, height] = size ? [Number(size[1]), Number(size[2])] : [800, 600];
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 2 });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    const png = await page.screenshot({ clip: { x: 0, y: 0, width, height } });
    writeFileSync(`${pngPath}.tmp`, png);
    renameSync(`${pngPath}.tmp`, pngPath);
  } finally {
    await browser.close();
  }
}
