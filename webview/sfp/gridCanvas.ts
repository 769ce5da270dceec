// Paints a layer's SFP grid (one tile per filter) into ONE canvas through ImageData, a chunk of
// tiles per animation frame, so 512 filters × 100 classes never blocks the page for long.
import type { SfpFilter } from '../../src/protocol/report';
import { clusterRects, gridLayout, heatLut, paintFilterTile, rectToPixels, tileGeometry, type GridLayout, type HeatPalette } from './heatmap';

/** Tiles painted per frame: 16 × 100×100 cells stays far below the 100 ms long-task line. */
const TILES_PER_FRAME = 16;

export interface GridJob {
  layout: GridLayout;
  /** Resolves when every tile is painted; rejects never (a cancelled job just stops). */
  done: Promise<void>;
  cancel(): void;
  /** Filter at canvas pixel (x, y), or undefined between tiles. */
  filterAt(x: number, y: number): SfpFilter | undefined;
}

/** Matrices from label sets only (no side file): cluster squares at 1, everything else 0. */
export function matricesFromClusters(filters: SfpFilter[], classes: number): Float32Array {
  const data = new Float32Array(filters.length * classes * classes);
  filters.forEach((f, k) => {
    for (const c of f.clusters) for (const i of c) for (const j of c) data[k * classes * classes + i * classes + j] = 1;
  });
  return data;
}

export function paintGrid(
  canvas: HTMLCanvasElement,
  filters: SfpFilter[],
  order: number[],
  matrices: Float32Array,
  classes: number,
  threshold: number,
  palette: HeatPalette,
  outline: string,
  maxWidth: number,
): GridJob {
  const geometry = tileGeometry(classes);
  const layout = gridLayout(order.length, geometry.size, maxWidth);
  canvas.width = Math.max(1, layout.width);
  canvas.height = Math.max(1, layout.height);
  const ctx = canvas.getContext('2d');
  // One tile-sized image reused for every tile: tiles never overlap, so nothing is read back.
  const tile = ctx?.createImageData(geometry.size, geometry.size);
  const lut = heatLut(threshold, palette);
  let cancelled = false;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let next = 0;
  const frame = () => {
    if (cancelled || !ctx) return resolve();
    const end = Math.min(order.length, next + TILES_PER_FRAME);
    const first = next;
    for (let slot = first; slot < end; slot++) {
      const [x, y] = layout.origin(slot);
      paintFilterTile(tile!.data, geometry.size, 0, 0, matrices, order[slot], classes, lut, geometry);
      ctx.putImageData(tile!, x, y);
    }
    ctx.strokeStyle = outline;
    ctx.fillStyle = outline;
    ctx.lineWidth = 1;
    ctx.font = '10px sans-serif';
    for (let slot = first; slot < end; slot++) {
      const [x, y] = layout.origin(slot);
      const f = filters[order[slot]];
      ctx.fillText(`#${f.index} · ${f.labels.length}`, x, y - 2);
      for (const cluster of f.clusters) {
        for (const rect of clusterRects(cluster)) {
          const p = rectToPixels(rect, geometry);
          ctx.strokeRect(x + p.x + 0.5, y + p.y + 0.5, Math.max(1, p.w - 1), Math.max(1, p.h - 1));
        }
      }
    }
    next = end;
    if (next < order.length) requestAnimationFrame(frame);
    else resolve();
  };
  requestAnimationFrame(frame);
  return {
    layout,
    done,
    cancel: () => {
      cancelled = true;
    },
    filterAt: (px, py) => {
      const pitchX = geometry.size + 4;
      const pitchY = geometry.size + 4 + 12;
      const col = Math.floor(px / pitchX);
      const row = Math.floor(py / pitchY);
      const inTile = px - col * pitchX < geometry.size && py - row * pitchY >= 12;
      const slot = row * layout.columns + col;
      return inTile && col < layout.columns && slot < order.length ? filters[order[slot]] : undefined;
    },
  };
}
