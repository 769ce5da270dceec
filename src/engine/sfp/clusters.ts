// Clusters, label sets and noise of one filter's binarised SFP matrix (METHOD.md §5, the authors'
// greedy `return_squares` / `is_square`, in ascending label order so results are deterministic).

export interface FilterClusters {
  /** Disjoint label sets whose principal sub-matrix of B is all ones, in discovery order. */
  clusters: number[][];
  /** L(f): the union of the clusters, ascending. */
  labels: number[];
  /** Above-threshold entries outside the cluster squares; -1 when the filter has no cluster. */
  noise: number;
  /** Σ_k |C_k|²: above-threshold entries inside the squares (for SNR_B). */
  inSquares: number;
}

/** Binarises a normalised C×C matrix at `threshold` (strict >, METHOD.md §4 step 4). */
export function binarise(normalised: ArrayLike<number>, classes: number, threshold: number, offset = 0): Uint8Array {
  const size = classes * classes;
  const b = new Uint8Array(size);
  for (let k = 0; k < size; k++) b[k] = normalised[offset + k] > threshold ? 1 : 0;
  return b;
}

/** The greedy square search over a binary C×C matrix (row-major). */
export function findClusters(b: Uint8Array, classes: number): FilterClusters {
  const candidates: number[] = [];
  for (let i = 0; i < classes; i++) if (b[i * classes + i] === 1) candidates.push(i);
  let remaining = candidates.slice();
  const clusters: number[][] = [];
  for (const lb of candidates) {
    if (!remaining.includes(lb)) continue;
    const cluster = [lb];
    for (const l2 of remaining.slice(1)) {
      if (squareIsFull(b, classes, cluster, l2)) cluster.push(l2);
    }
    remaining = remaining.filter((l) => !cluster.includes(l));
    clusters.push(cluster);
  }
  let ones = 0;
  for (let k = 0; k < b.length; k++) ones += b[k];
  const inSquares = clusters.reduce((sum, c) => sum + c.length * c.length, 0);
  const labels = clusters.flat().sort((x, y) => x - y);
  return { clusters, labels, noise: clusters.length === 0 ? -1 : ones - inSquares, inSquares };
}

/** True when cluster ∪ {extra} spans an all-ones principal sub-matrix. */
function squareIsFull(b: Uint8Array, classes: number, cluster: number[], extra: number): boolean {
  const members = [...cluster, extra];
  for (const a of members) {
    for (const c of members) if (b[a * classes + c] !== 1) return false;
  }
  return true;
}

/**
 * Clusters of every filter of a layer from its normalised matrices [F, C, C]. A filter whose
 * matrix was flagged empty (maximum ≤ 0, METHOD.md §4 PROPOSAL) gets no clusters.
 */
export function clusterLayer(
  normalised: Float32Array,
  empty: Uint8Array,
  filters: number,
  classes: number,
  threshold: number,
): FilterClusters[] {
  const out: FilterClusters[] = [];
  const size = classes * classes;
  for (let f = 0; f < filters; f++) {
    if (empty[f]) {
      out.push({ clusters: [], labels: [], noise: -1, inSquares: 0 });
      continue;
    }
    out.push(findClusters(binarise(normalised, classes, threshold, f * size), classes));
  }
  return out;
}
