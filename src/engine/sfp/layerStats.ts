// Per-layer SFP statistics (METHOD.md §5 and the SNR proposal of §6) from the filters' clusters.
import type { SfpFilter, SfpLayer } from '../../protocol/report';
import type { FilterClusters } from './clusters';

export type SfpLayerSummary = Omit<SfpLayer, 'name' | 'className' | 'readoutAccuracy' | 'readout' | 'pooledTo'>;

/**
 * Averages over a layer's filters. meanLabels, clustersPerFilter and meanNoiseAll count every
 * filter (an empty one as 0, since AFCC cuts all its connections); meanNoise, SNR_A and SNR_B are
 * taken over filters with at least one cluster, as the authors' script prints them.
 */
export function summariseLayer(filters: FilterClusters[], classes: number): SfpLayerSummary {
  const count = filters.length;
  const clustered = filters.filter((f) => f.clusters.length > 0);
  const histogram = new Array<number>(classes + 1).fill(0);
  let clusterCount = 0;
  let clusterLabelSum = 0;
  for (const f of filters) {
    for (const c of f.clusters) {
      histogram[c.length] += 1;
      clusterCount += 1;
      clusterLabelSum += c.length;
    }
  }
  const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const meanLabelsClustered = mean(clustered.map((f) => f.labels.length));
  const meanInSquares = mean(clustered.map((f) => f.inSquares));
  const meanNoise = mean(clustered.map((f) => f.noise));
  const ratio = (num: number): number | null => {
    if (clustered.length === 0) return 0;
    return meanNoise === 0 ? null : num / meanNoise;
  };
  const sfpFilters: SfpFilter[] = filters.map((f, index) => ({
    index,
    labels: f.labels,
    clusters: f.clusters,
    noise: f.noise,
  }));
  return {
    filters: sfpFilters,
    meanLabels: mean(filters.map((f) => f.labels.length)),
    meanNoise,
    meanNoiseAll: mean(filters.map((f) => Math.max(f.noise, 0))),
    clustersPerFilter: count === 0 ? 0 : clusterCount / count,
    meanClusterSize: clusterCount === 0 ? 0 : clusterLabelSum / clusterCount,
    clusterSizeHistogram: histogram,
    snrA: ratio(meanLabelsClustered),
    snrB: ratio(meanInSquares),
    emptyFilters: count === 0 ? 0 : (count - clustered.length) / count,
  };
}
