import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SfpLayerAnalysis } from '../../../src/engine/sfp/analyze';
import { filtersKept, filterStrengths, rankFilters } from '../../../src/engine/prune/sfpFilters';

/** A layer analysis holding only what the ranking reads: normalised [F, C, C] matrices. */
function layerWith(matrices: number[][][], empty: number[]): SfpLayerAnalysis {
  const classes = matrices[0].length;
  return {
    matrices: { filters: matrices.length, classes, data: Float32Array.from(matrices.flat(2)), empty: Uint8Array.from(empty) },
  } as unknown as SfpLayerAnalysis;
}

describe('sfp-filters ranking', () => {
  const layer = layerWith([
    [[0, 0, 0], [0, 0, 0], [0, 0, 0]], // 0: empty (maximum ≤ 0)
    [[1, 0.8, 0.8], [0.8, 0.2, 0.8], [0.8, 0.8, 0.2]], // 1: d = 1, weak margin, noisy
    [[1, 0, 0], [0, 0.9, 0], [0, 0, 0.1]], // 2: d = 1, strong margin
    [[0.5, 1, 0], [0, 0.1, 0], [0, 0, 0]], // 3: d = 0.5 (its maximum is off the diagonal)
    [[0.2, 1, 0], [0, 0.1, 0], [0, 0, 0]], // 4: no diagonal entry above 0.3: no cluster
  ], [1, 0, 0, 0, 0]);

  it('orders by cluster, max diagonal, margin, noise, index', () => {
    const strengths = filterStrengths(layer, 0.3);
    assert.deepEqual(strengths.map((s) => s.hasCluster), [false, true, true, true, false]);
    assert.deepEqual(strengths.map((s) => s.maxDiagonal), [0, 1, 1, 0.5, Math.fround(0.2)]);
    assert.ok(strengths[2].margin > strengths[1].margin);
    assert.deepEqual(rankFilters(strengths), [2, 1, 3, 4, 0]);
  });

  it('keeps ⌊(1 − s)·F⌋ filters, at least one', () => {
    assert.equal(filtersKept(8, 0.5), 4);
    assert.equal(filtersKept(10, 0.75), 2);
    assert.equal(filtersKept(4, 0.6), 1);
    assert.equal(filtersKept(4, 0.99), 1);
    assert.equal(filtersKept(64, 0), 64);
    assert.equal(filtersKept(10, 0.7), 3, '(1 − 0.7)·10 is 2.9999…9 in floating point');
  });
});
