// Paints a layer's SFP grid (one tile per filter) virtualised: the canvas is only as tall as the
// scroll box and shows the rows in view, painted in time slices of a few ms per animation frame.
// A canvas holding every tile (512 filters × ~116 px rows ≈ 1,400 × 4,700 px) made each frame's
// raster and commit take 0.3-1.3 s in Chromium without a GPU; the visible window is ~1/8 of that.
import type { SfpFilter } from '../../src/protocol/report';
import { clusterRects, gridLayout, heatLut, paintFilterTile, rectToPixels, tileGeometry, type GridLayout, type HeatPalette } from './heatmap';

/** Painting work per animation frame, well below the 50 ms long-task line even on a slow core. */
const FRAME_BUDGET_MS = 8;
const GAP = 4;
const LABEL_HEIGHT = 12;

export interface GridJob {
  layout: GridLayout;
  /** Resolves when the tiles first in view are painted (never rejects; cancel just stops). */
  done: Promise<void>;
  cancel(): void;
  /** Filter under a point in client (viewport) coordinates, or undefined between tiles. */
  filterAtClient(clientX: number, clientY: number): SfpFilter | undefined;
}

/** Matrices from label sets only (no side file): cluster squares at 1, everything else 0. */
export function matricesFromClusters(filters: SfpFilter[], classes: number): Float32Array {
  const data = new Float32Array(filters.length * classes * classes);
  filters.forEach((f, k) => {
    for (const c of f.clusters) for (const i of c) for (const j of c) data[k * classes * classes + i * classes + j] = 1;
  });
  return data;
}

/** Grid slots whose tile (with its label line) meets the rows [top, bottom) of the content. */
export function visibleSlots(layout: GridLayout, count: number, top: number, bottom: number): [number, number] {
  const pitchY = layout.rows > 0 ? layout.height / layout.rows : 1;
  const firstRow = Math.max(0, Math.floor(top / pitchY));
  const lastRow = Math.min(layout.rows - 1, Math.floor(Math.max(top, bottom - 1) / pitchY));
  return [Math.min(count, firstRow * layout.columns), Math.min(count, (lastRow + 1) * layout.columns)];
}

/**
 * Fills `scroller` (a scroll box) with a full-height spacer and a sticky canvas of the box's
 * height, and repaints the tiles in view whenever it scrolls or resizes. The canvas carries
 * data-painted="true" whenever what is in view is fully painted.
 */
export function paintGrid(
  scroller: HTMLElement,
  canvas: HTMLCanvasElement,
  filters: SfpFilter[],
  order: number[],
  matrices: Float32Array,
  classes: number,
  threshold: number,
  /** Theme colours, read at the first paint (after layout) so building the view forces no style pass. */
  colours: () => { palette: HeatPalette; outline: string },
  maxWidth: number,
): GridJob {
  const geometry = tileGeometry(classes);
  const layout = gridLayout(order.length, geometry.size, maxWidth, GAP, LABEL_HEIGHT);
  const spacer = document.createElement('div');
  spacer.className = 'sfp-grid-spacer';
  spacer.style.height = `${Math.max(1, layout.height)}px`;
  spacer.style.width = `${Math.max(1, layout.width)}px`;
  // Inline through the CSSOM (allowed by the panel's CSP): the canvas stays at the top of the box.
  canvas.style.position = 'sticky';
  canvas.style.top = '0';
  canvas.width = Math.max(1, layout.width);
  canvas.height = 1;
  canvas.dataset.painted = 'false';
  spacer.appendChild(canvas);
  scroller.replaceChildren(spacer);
  const ctx = canvas.getContext('2d');
  let lut: Uint8ClampedArray | undefined;
  let outline = '';
  let cancelled = false;
  let resolveFirst!: () => void;
  const done = new Promise<void>((r) => (resolveFirst = r));
  // What is in view, and the next slot of it to paint.
  let view = { top: 0, height: 0, from: 0, to: 0 };
  // Every change of the visible canvas costs a copy of all its pixels to the compositor (tens of
  // ms without a GPU), so tiles and overlays go onto an OffscreenCanvas in short slices and the
  // visible canvas gets one drawImage per view. One tile-sized image is reused for every tile.
  let offscreen: OffscreenCanvas | undefined;
  const tile = new ImageData(geometry.size, geometry.size);
  let next = 0;
  let frame = 0;

  const paintSlot = (target: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, slot: number) => {
    const [x, y0] = layout.origin(slot);
    const y = y0 - view.top;
    paintFilterTile(tile.data, geometry.size, 0, 0, matrices, order[slot], classes, lut!, geometry);
    target.putImageData(tile, x, y);
    const f = filters[order[slot]];
    target.fillText(`#${f.index} · ${f.labels.length}`, x, y - 2);
    for (const cluster of f.clusters) {
      for (const rect of clusterRects(cluster)) {
        const p = rectToPixels(rect, geometry);
        target.strokeRect(x + p.x + 0.5, y + p.y + 0.5, Math.max(1, p.w - 1), Math.max(1, p.h - 1));
      }
    }
  };

  const styled = <T extends CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D>(target: T): T => {
    target.strokeStyle = outline;
    target.fillStyle = outline;
    target.lineWidth = 1;
    target.font = '10px sans-serif';
    return target;
  };

  const step = () => {
    frame = 0;
    if (cancelled || !ctx || !lut) return resolveFirst();
    const started = performance.now();
    // Without OffscreenCanvas the tiles go straight onto the visible canvas (more commits).
    const target = offscreen?.getContext('2d') ?? ctx;
    while (next < view.to && performance.now() - started < FRAME_BUDGET_MS) paintSlot(target, next++);
    if (next < view.to) {
      frame = requestAnimationFrame(step);
      return;
    }
    if (offscreen) {
      if (canvas.height !== view.height) canvas.height = view.height;
      else ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(offscreen, 0, 0);
    }
    canvas.dataset.painted = 'true';
    resolveFirst();
  };

  /** Starts painting what is in view now (the canvas follows the scroll box's size and offset). */
  const refresh = () => {
    if (cancelled || !ctx) return resolveFirst();
    // A hidden box (another tab shown) has nothing in view: paint once it gets a size.
    if (scroller.clientHeight === 0) return resolveFirst();
    const height = Math.max(1, Math.min(layout.height, scroller.clientHeight));
    const top = Math.min(scroller.scrollTop, Math.max(0, layout.height - height));
    if (height === view.height && top === view.top && canvas.dataset.painted === 'true') return;
    const [from, to] = visibleSlots(layout, order.length, top, top + height);
    if (!lut) {
      const c = colours();
      lut = heatLut(threshold, c.palette);
      outline = c.outline;
    }
    if (typeof OffscreenCanvas === 'function') {
      if (offscreen?.height !== height) offscreen = new OffscreenCanvas(canvas.width, height);
      styled(offscreen.getContext('2d')!).clearRect(0, 0, canvas.width, height);
    } else {
      if (canvas.height !== height) canvas.height = height;
      styled(ctx).clearRect(0, 0, canvas.width, height);
    }
    view = { top, height, from, to };
    next = from;
    canvas.dataset.painted = 'false';
    if (!frame) frame = requestAnimationFrame(step);
  };

  const onScroll = () => refresh();
  scroller.addEventListener('scroll', onScroll, { passive: true });
  // Size is known once the box is in the document; the observer also follows window resizes.
  const resize = new ResizeObserver(() => refresh());
  resize.observe(scroller);
  return {
    layout,
    done,
    cancel: () => {
      cancelled = true;
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      resize.disconnect();
      scroller.removeEventListener('scroll', onScroll);
      resolveFirst();
    },
    filterAtClient: (clientX, clientY) => {
      const box = spacer.getBoundingClientRect();
      const px = clientX - box.left;
      const py = clientY - box.top;
      const pitchX = geometry.size + GAP;
      const pitchY = geometry.size + GAP + LABEL_HEIGHT;
      const col = Math.floor(px / pitchX);
      const row = Math.floor(py / pitchY);
      const inTile = px >= 0 && px - col * pitchX < geometry.size && py - row * pitchY >= LABEL_HEIGHT;
      const slot = row * layout.columns + col;
      return inTile && col < layout.columns && slot >= 0 && slot < order.length ? filters[order[slot]] : undefined;
    },
  };
}
