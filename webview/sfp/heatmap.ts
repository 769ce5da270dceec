// The maths of the SFP grid: a filter's normalised C×C matrix -> RGBA pixels, its clusters ->
// outline rectangles, and the grid layout. Pure (no DOM), so it is unit-tested in Node and the
// canvas code only blits what these functions return.

export type Rgb = readonly [number, number, number];

export interface HeatPalette {
  background: Rgb;
  negative: Rgb;
  /** Positive values up to the cluster threshold fade from background towards this. */
  positive: Rgb;
  /** Above-threshold values (the binarised ones, METHOD.md §4) go from positive to this. */
  hot: Rgb;
}

/** Largest tile edge in pixels; bigger matrices are max-pooled down to it. */
export const MAX_TILE_PX = 128;
const MAX_CELL_PX = 12;

export interface TileGeometry {
  /** Matrix cells per pixel block edge (> 1 when C > MAX_TILE_PX: max-pooled). */
  step: number;
  /** Pixels per (pooled) cell edge. */
  cellPx: number;
  /** Tile edge in pixels. */
  size: number;
}

export function tileGeometry(classes: number): TileGeometry {
  const step = Math.max(1, Math.ceil(classes / MAX_TILE_PX));
  const cells = Math.ceil(classes / step);
  const cellPx = Math.max(1, Math.min(MAX_CELL_PX, Math.floor(MAX_TILE_PX / cells)));
  return { step, cellPx, size: cells * cellPx };
}

function mix(a: Rgb, b: Rgb, t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, t));
  return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
}

/** Colour of one normalised value (≤ 1 after per-filter normalisation by the maximum). */
export function heatColour(value: number, threshold: number, palette: HeatPalette): [number, number, number] {
  if (Number.isNaN(value)) return [...palette.background];
  if (!(value > 0)) return mix(palette.background, palette.negative, -value);
  if (value <= threshold) return mix(palette.background, palette.positive, (0.6 * value) / threshold);
  return mix(palette.positive, palette.hot, (value - threshold) / Math.max(1e-6, 1 - threshold));
}

/** Colour lookup over [-1, 1] in steps of 0.001, so painting a tile allocates nothing. */
const LUT_LEVELS = 2001;

export function heatLut(threshold: number, palette: HeatPalette): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(LUT_LEVELS * 3);
  for (let k = 0; k < LUT_LEVELS; k++) lut.set(heatColour((2 * k) / (LUT_LEVELS - 1) - 1, threshold, palette), k * 3);
  return lut;
}

function lutIndex(value: number): number {
  if (!(value >= -1)) return value > 1 ? LUT_LEVELS - 1 : (LUT_LEVELS - 1) / 2;
  return value >= 1 ? LUT_LEVELS - 1 : Math.round(((value + 1) / 2) * (LUT_LEVELS - 1));
}

/**
 * Paints one filter's matrix into an RGBA image of width `imageWidth` at (x0, y0).
 * `matrices` is Float32 [filters, C, C]; rows are true labels, columns output units.
 */
export function paintFilterTile(
  pixels: Uint8ClampedArray,
  imageWidth: number,
  x0: number,
  y0: number,
  matrices: Float32Array,
  filter: number,
  classes: number,
  lut: Uint8ClampedArray,
  geometry: TileGeometry = tileGeometry(classes),
): void {
  const { step, cellPx } = geometry;
  const base = filter * classes * classes;
  const cells = Math.ceil(classes / step);
  for (let bi = 0; bi < cells; bi++) {
    for (let bj = 0; bj < cells; bj++) {
      let value = -Infinity;
      for (let i = bi * step; i < Math.min(classes, (bi + 1) * step); i++) {
        for (let j = bj * step; j < Math.min(classes, (bj + 1) * step); j++) {
          const v = matrices[base + i * classes + j];
          if (v > value) value = v;
        }
      }
      const c = lutIndex(value) * 3;
      const r = lut[c];
      const g = lut[c + 1];
      const b = lut[c + 2];
      for (let dy = 0; dy < cellPx; dy++) {
        let p = ((y0 + bi * cellPx + dy) * imageWidth + x0 + bj * cellPx) * 4;
        for (let dx = 0; dx < cellPx; dx++, p += 4) {
          pixels[p] = r;
          pixels[p + 1] = g;
          pixels[p + 2] = b;
          pixels[p + 3] = 255;
        }
      }
    }
  }
}

/** Runs of consecutive labels: [1,2,3,7] -> [[1,3],[7,7]]. */
export function labelRuns(labels: number[]): [number, number][] {
  const sorted = [...labels].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const l of sorted) {
    const last = runs[runs.length - 1];
    if (last && l === last[1] + 1) last[1] = l;
    else runs.push([l, l]);
  }
  return runs;
}

export interface CellRect {
  row: number;
  col: number;
  rows: number;
  cols: number;
}

/**
 * A cluster's square (rows and columns = its labels) as rectangles in matrix cells. Labels need
 * not be adjacent, so the square is the product of the label runs with themselves.
 */
export function clusterRects(cluster: number[]): CellRect[] {
  const runs = labelRuns(cluster);
  const rects: CellRect[] = [];
  for (const [r0, r1] of runs) for (const [c0, c1] of runs) rects.push({ row: r0, col: c0, rows: r1 - r0 + 1, cols: c1 - c0 + 1 });
  return rects;
}

/** A cell rectangle in tile pixels (pooled tiles round outwards so outlines stay visible). */
export function rectToPixels(rect: CellRect, geometry: TileGeometry): { x: number; y: number; w: number; h: number } {
  const { step, cellPx } = geometry;
  const x = Math.floor(rect.col / step) * cellPx;
  const y = Math.floor(rect.row / step) * cellPx;
  const w = (Math.floor((rect.col + rect.cols - 1) / step) + 1) * cellPx - x;
  const h = (Math.floor((rect.row + rect.rows - 1) / step) + 1) * cellPx - y;
  return { x, y, w, h };
}

export interface GridLayout {
  columns: number;
  rows: number;
  width: number;
  height: number;
  /** Top-left pixel of slot k (slot = position after sorting). */
  origin(slot: number): [number, number];
}

export function gridLayout(count: number, tile: number, maxWidth: number, gap = 4, labelHeight = 12): GridLayout {
  const pitchX = tile + gap;
  const pitchY = tile + gap + labelHeight;
  const columns = Math.max(1, Math.min(count, Math.floor((maxWidth + gap) / pitchX)));
  const rows = Math.ceil(count / columns);
  return {
    columns,
    rows,
    width: columns * pitchX - gap,
    height: rows * pitchY,
    origin: (slot) => [(slot % columns) * pitchX, Math.floor(slot / columns) * pitchY + labelHeight],
  };
}

/** Parses a CSS colour as the webview computes it ("rgb(r, g, b)", "rgba(...)" or "#rrggbb"). */
export function parseCssColour(text: string, fallback: Rgb): Rgb {
  const t = text.trim();
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(t);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(t);
  if (hex) {
    const n = parseInt(hex[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(t);
  if (short) return [parseInt(short[1] + short[1], 16), parseInt(short[2] + short[2], 16), parseInt(short[3] + short[3], 16)];
  return fallback;
}
