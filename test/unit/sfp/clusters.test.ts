import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findClusters } from '../../../src/engine/sfp/clusters';
import { summariseLayer } from '../../../src/engine/sfp/layerStats';

const C = 10;
function matrix(ones: [number, number][]): Uint8Array {
  const b = new Uint8Array(C * C);
  for (const [i, c] of ones) b[i * C + c] = 1;
  return b;
}
function square(labels: number[]): [number, number][] {
  return labels.flatMap((a) => labels.map((b): [number, number] => [a, b]));
}

test('planted squares {0,1,2} and {5,7} are found, the stray entry is noise (METHOD.md §12.1)', () => {
  const b = matrix([...square([0, 1, 2]), ...square([5, 7]), [3, 4], [0, 9], [6, 5]]);
  assert.equal(b[3 * C + 3], 0);
  const result = findClusters(b, C);
  assert.deepEqual(result.clusters, [[0, 1, 2], [5, 7]]);
  assert.deepEqual(result.labels, [0, 1, 2, 5, 7]);
  const ones = b.reduce((a, v) => a + v, 0);
  assert.equal(result.noise, ones - 13);
  assert.equal(result.noise, 3);
  assert.equal(result.inSquares, 13);
});

test('the greedy pass is deterministic and ascending: an incomplete square splits into the first fit', () => {
  // 0-1 and 0-2 are linked but 1-2 is not: ascending order gives {0,1} and then {2} alone.
  const b = matrix([...square([0, 1]), [0, 2], [2, 0], [2, 2]]);
  const first = findClusters(b, C);
  assert.deepEqual(first.clusters, [[0, 1], [2]]);
  assert.deepEqual(findClusters(b.slice(), C), first);
  assert.equal(first.noise, 2);
});

test('a label with an above-threshold diagonal and no partner becomes a singleton', () => {
  const result = findClusters(matrix([[4, 4], [4, 6]]), C);
  assert.deepEqual(result.clusters, [[4]]);
  assert.equal(result.noise, 1);
});

test('a filter with no diagonal entry has no cluster and noise -1', () => {
  const result = findClusters(matrix([[1, 2], [3, 1]]), C);
  assert.deepEqual(result.clusters, []);
  assert.equal(result.noise, -1);
});

test('layer statistics: means, histogram, SNR with null for infinity, empty share', () => {
  const a = findClusters(matrix([...square([0, 1]), [2, 3]]), C); // |L|=2, noise 1, inSquares 4
  const b = findClusters(matrix([[5, 5], [6, 6], [6, 1], [6, 2], [6, 3]]), C); // {5},{6}, noise 3
  const empty = findClusters(matrix([]), C);
  const s = summariseLayer([a, b, empty], C);
  assert.equal(s.meanLabels, 4 / 3);
  assert.equal(s.meanNoise, 2);
  assert.equal(s.meanNoiseAll, 4 / 3);
  assert.equal(s.clustersPerFilter, 1);
  assert.equal(s.meanClusterSize, 4 / 3);
  assert.deepEqual(s.clusterSizeHistogram.slice(0, 3), [0, 2, 1]);
  assert.equal(s.snrA, 2 / 2);
  assert.equal(s.snrB, 3 / 2);
  assert.equal(s.emptyFilters, 1 / 3);
  const clean = summariseLayer([findClusters(matrix(square([2])), C)], C);
  assert.equal(clean.snrA, null);
  assert.equal(clean.meanNoise, 0);
});
