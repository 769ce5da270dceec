import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterRects, gridLayout, heatColour, heatLut, labelRuns, paintFilterTile, parseCssColour, rectToPixels, tileGeometry, type HeatPalette } from '../../../webview/sfp/heatmap';
import type { TargetDecision } from '../../../src/protocol/report';
import { decisionMask, labelSetSizeHistogram, maskToRgba, orderFilters } from '../../../webview/sfp/connections';
import { makeSyntheticVgg } from './syntheticVgg';

const palette: HeatPalette = { background: [0, 0, 0], negative: [0, 0, 200], positive: [100, 0, 0], hot: [255, 255, 0] };

test('tile geometry: small C gets big cells, large C is pooled to the tile limit', () => {
  assert.deepEqual(tileGeometry(10), { step: 1, cellPx: 12, size: 120 });
  assert.deepEqual(tileGeometry(100), { step: 1, cellPx: 1, size: 100 });
  assert.deepEqual(tileGeometry(1000), { step: 8, cellPx: 1, size: 125 });
});

test('heat colours: negative, below and above the cluster threshold', () => {
  assert.deepEqual(heatColour(-1, 0.3, palette), [0, 0, 200]);
  assert.deepEqual(heatColour(0, 0.3, palette), [0, 0, 0]);
  assert.deepEqual(heatColour(0.3, 0.3, palette), [60, 0, 0]);
  assert.deepEqual(heatColour(1, 0.3, palette), [255, 255, 0]);
  assert.deepEqual(heatColour(Number.NaN, 0.3, palette), [0, 0, 0]);
});

test('a 3×3 matrix paints the right pixels at the right offset', () => {
  const classes = 3;
  // two filters; paint the second one
  const m = new Float32Array(2 * 9);
  m.set([1, 0, 0, 0, 0.5, 0, 0, 0, -1], 9);
  const g = { step: 1, cellPx: 2, size: 6 };
  const width = 8;
  const px = new Uint8ClampedArray(width * 8 * 4);
  paintFilterTile(px, width, 1, 1, m, 1, classes, heatLut(0.3, palette), g);
  const at = (x: number, y: number) => Array.from(px.slice((y * width + x) * 4, (y * width + x) * 4 + 4));
  assert.deepEqual(at(0, 0), [0, 0, 0, 0], 'outside the tile untouched');
  assert.deepEqual(at(1, 1), [255, 255, 0, 255], 'cell (0,0) = 1 is hot');
  assert.deepEqual(at(2, 2), [255, 255, 0, 255], 'cells are 2 px wide');
  assert.deepEqual(at(3, 3), heatColour(0.5, 0.3, palette).map(Math.round).concat(255), 'cell (1,1) = 0.5');
  assert.deepEqual(at(5, 5), [0, 0, 200, 255], 'cell (2,2) = -1');
});

test('pooled tiles keep the maximum of each block', () => {
  const classes = 4;
  const m = new Float32Array(16).fill(-1);
  m[1 * 4 + 1] = 1; // inside the top-left 2×2 block
  const px = new Uint8ClampedArray(2 * 2 * 4);
  paintFilterTile(px, 2, 0, 0, m, 0, classes, heatLut(0.3, palette), { step: 2, cellPx: 1, size: 2 });
  assert.deepEqual(Array.from(px.slice(0, 4)), [255, 255, 0, 255]);
  assert.deepEqual(Array.from(px.slice(4, 8)), [0, 0, 200, 255]);
});

test('cluster squares of non-adjacent labels become products of label runs', () => {
  assert.deepEqual(labelRuns([7, 1, 3, 2]), [[1, 3], [7, 7]]);
  assert.deepEqual(clusterRects([2, 3]), [{ row: 2, col: 2, rows: 2, cols: 2 }]);
  assert.deepEqual(clusterRects([1, 5]), [
    { row: 1, col: 1, rows: 1, cols: 1 },
    { row: 1, col: 5, rows: 1, cols: 1 },
    { row: 5, col: 1, rows: 1, cols: 1 },
    { row: 5, col: 5, rows: 1, cols: 1 },
  ]);
  assert.deepEqual(rectToPixels({ row: 2, col: 4, rows: 2, cols: 1 }, { step: 1, cellPx: 3, size: 30 }), { x: 12, y: 6, w: 3, h: 6 });
  assert.deepEqual(rectToPixels({ row: 3, col: 3, rows: 1, cols: 1 }, { step: 2, cellPx: 1, size: 5 }), { x: 1, y: 1, w: 1, h: 1 });
});

test('grid layout wraps tiles into the available width', () => {
  const g = gridLayout(10, 100, 430, 4, 12);
  assert.equal(g.columns, 4);
  assert.equal(g.rows, 3);
  assert.deepEqual(g.origin(5), [104, 116 + 12]);
  assert.equal(g.width, 412);
});

/** A decision as the engine packs it: keep[f·outputs + o], least significant bit first, base64. */
function packedDecision(keep: number[][], outputUnits: string[] | 'classes'): TargetDecision {
  const inputs = keep.length;
  const outputs = keep[0]!.length;
  const bytes = new Uint8Array(Math.ceil((inputs * outputs) / 8));
  keep.forEach((row, f) => row.forEach((k, o) => {
    if (k) bytes[(f * outputs + o) >> 3]! |= 1 << ((f * outputs + o) & 7);
  }));
  const slicesKept = keep.flat().filter((k) => k).length;
  return { inputUnits: ['conv5'], outputUnits, inputs, outputs, slicesKept, slices: Buffer.from(bytes).toString('base64') };
}

test('the connections drawn are the engine\'s decision: rows are out-channels (or classes), columns in-channels', () => {
  // in-channel f (rows of `keep`) → out-channel o (columns of `keep`)
  const keep = [[1, 0, 0], [0, 1, 1], [0, 0, 0], [1, 1, 0]];
  const mask = decisionMask(packedDecision(keep, ['conv6']));
  assert.equal(mask.rows, 3);
  assert.equal(mask.cols, 4);
  assert.deepEqual(Array.from(mask.kept), [1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0]);
  assert.equal(mask.keptCount, 5);
  const out = decisionMask(packedDecision([[1, 0, 0], [0, 1, 1]], 'classes'));
  assert.deepEqual(Array.from(out.kept), [1, 0, 0, 1, 0, 1]);
  const rgba = maskToRgba(out, [9, 9, 9], [1, 1, 1]);
  assert.deepEqual(Array.from(rgba.slice(0, 8)), [9, 9, 9, 255, 1, 1, 1, 255]);
});

test('label-set histogram and filter ordering', () => {
  const filters = [
    { index: 0, labels: [1], clusters: [[1]], noise: 4 },
    { index: 1, labels: [], clusters: [], noise: -1 },
    { index: 2, labels: [1, 2, 3], clusters: [[1, 2, 3]], noise: 0 },
    { index: 3, labels: [4], clusters: [[4]], noise: 9 },
  ];
  assert.deepEqual(labelSetSizeHistogram(filters), [1, 2, 0, 1]);
  assert.deepEqual(orderFilters(filters, 'labels'), [2, 0, 3, 1]);
  assert.deepEqual(orderFilters(filters, 'noise'), [3, 0, 2, 1]);
  assert.deepEqual(orderFilters(filters, 'index'), [0, 1, 2, 3]);
});

test('CSS colours as getComputedStyle reports them', () => {
  assert.deepEqual(parseCssColour('rgb(30, 31, 32)', [0, 0, 0]), [30, 31, 32]);
  assert.deepEqual(parseCssColour('#ff8000', [0, 0, 0]), [255, 128, 0]);
  assert.deepEqual(parseCssColour('#f80', [0, 0, 0]), [255, 136, 0]);
  assert.deepEqual(parseCssColour('', [1, 2, 3]), [1, 2, 3]);
});

test('a 512-filter, 100-class layer: every tile paints, masks have the right shape', () => {
  const vgg = makeSyntheticVgg();
  const layer = vgg.report.sfp!.layers[12];
  const data = vgg.matricesFor(layer.name);
  const g = tileGeometry(100);
  const lut = heatLut(0.3, palette);
  const px = new Uint8ClampedArray(g.size * g.size * 4);
  for (let f = 0; f < layer.filters.length; f++) {
    px.fill(0);
    paintFilterTile(px, g.size, 0, 0, data, f, 100, lut, g);
    for (let k = 3; k < px.length; k += 4) assert.equal(px[k], 255);
    // a cluster's diagonal cell is above the threshold, so it shows in the hot half of the palette
    const first = layer.filters[f].clusters[0]?.[0];
    if (first !== undefined) assert.ok(px[(first * g.size + first) * 4] > 100, `filter ${f} label ${first}`);
  }
  const keep = Array.from({ length: 512 }, (_, f) => Array.from({ length: 512 }, (__, o) => ((f * 7 + o) % 3 === 0 ? 1 : 0)));
  const self = decisionMask(packedDecision(keep, ['conv13']));
  assert.equal(self.kept.length, 512 * 512);
  assert.equal(self.keptCount, keep.flat().filter((k) => k).length);
});
