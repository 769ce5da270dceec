// A large synthetic report: VGG-16's 13 conv layers (up to 512 filters) on 100 classes, with SFP
// label sets and matrices that agree with each other. Used by the unit tests and by the e2e tier
// to prove the panel stays responsive (no long task over 100 ms) at that size.
//   node --import tsx test/unit/webview/syntheticVgg.ts <out-dir>   writes report.json + matrices.sfpm
// (the binary side file of all 13 layers, about 170 MB)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrunedLayer, PruneReport, SfpFilter, SfpLayer } from '../../../src/protocol/report';
import { encodeMatricesFile } from '../../../src/engine/sfp/matricesFile';
import { mulberry32 } from '../../../src/engine/core/random';

export const VGG16_FILTERS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512];


interface SyntheticFilter extends SfpFilter {
  /** Off-square above-threshold cells, as row*C+col. */
  noiseCells: number[];
}

/** Label sets shrink and noise falls with depth, as METHOD.md §5 expects. */
function syntheticFilters(layerIndex: number, filters: number, classes: number, seed: number): SyntheticFilter[] {
  const rand = mulberry32(seed * 7919 + layerIndex);
  const depth = layerIndex / (VGG16_FILTERS.length - 1);
  return Array.from({ length: filters }, (_, index) => {
    if (rand() < 0.04) return { index, labels: [], clusters: [], noise: -1, noiseCells: [] };
    const clusterCount = 1 + Math.floor(rand() * (depth > 0.6 ? 2 : 4));
    const used = new Set<number>();
    const clusters: number[][] = [];
    for (let k = 0; k < clusterCount; k++) {
      const size = 1 + Math.floor(rand() * (depth > 0.6 ? 3 : 6));
      const cluster: number[] = [];
      while (cluster.length < size) {
        const label = Math.floor(rand() * classes);
        if (!used.has(label)) {
          used.add(label);
          cluster.push(label);
        }
      }
      clusters.push(cluster.sort((a, b) => a - b));
    }
    clusters.sort((a, b) => a[0] - b[0]);
    const noiseCells: number[] = [];
    const noiseTarget = Math.floor(rand() * (40 * (1 - depth) + 2));
    while (noiseCells.length < noiseTarget) {
      const row = Math.floor(rand() * classes);
      const col = Math.floor(rand() * classes);
      if (row === col || (used.has(row) && used.has(col))) continue;
      const cell = row * classes + col;
      if (!noiseCells.includes(cell)) noiseCells.push(cell);
    }
    const labels = [...used].sort((a, b) => a - b);
    return { index, labels, clusters, noise: noiseCells.length, noiseCells };
  });
}

/** The normalised C×C matrices of one layer, Float32 [filters, C, C], consistent with its filters. */
export function syntheticLayerMatrices(filters: (SfpFilter & { noiseCells?: number[] })[], classes: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const size = classes * classes;
  const data = new Float32Array(filters.length * size);
  filters.forEach((f, i) => {
    const base = i * size;
    for (let k = 0; k < size; k++) data[base + k] = rand() * 0.45 - 0.2;
    for (const cluster of f.clusters) for (const r of cluster) for (const c of cluster) data[base + r * classes + c] = 0.5 + rand() * 0.5;
    for (const cell of f.noiseCells ?? []) data[base + cell] = 0.31 + rand() * 0.3;
    if (f.clusters.length) data[base + f.clusters[0][0] * (classes + 1)] = 1;
  });
  return data;
}

export interface SyntheticVgg {
  report: PruneReport;
  /** Matrices for one analysed layer by name (generated on demand: 512×100×100 floats each). */
  matricesFor(layer: string): Float32Array;
  /** The binary matrices side file (SfpMatricesFile) of these layers. */
  matricesFile(layerNames?: string[]): Uint8Array;
}

export function makeSyntheticVgg(classes = 100, seed = 1): SyntheticVgg {
  const names = VGG16_FILTERS.map((_, i) => `conv${i + 1}`);
  const filterSets = VGG16_FILTERS.map((f, i) => syntheticFilters(i, f, classes, seed));
  const sfpLayers: SfpLayer[] = filterSets.map((filters, i) => {
    const withCluster = filters.filter((f) => f.clusters.length > 0);
    const meanLabels = withCluster.reduce((s, f) => s + f.labels.length, 0) / filters.length;
    const meanNoise = withCluster.reduce((s, f) => s + f.noise, 0) / Math.max(1, withCluster.length);
    const clusterSizes = withCluster.flatMap((f) => f.clusters.map((c) => c.length));
    const histogram = new Array(Math.max(0, ...clusterSizes) + 1).fill(0);
    for (const s of clusterSizes) histogram[s]++;
    const inSquares = withCluster.reduce((s, f) => s + f.clusters.reduce((t, c) => t + c.length * c.length, 0), 0) / Math.max(1, withCluster.length);
    return {
      name: names[i], className: 'Conv2D', readoutAccuracy: 0.2 + 0.5 * (i / 12) + 0.01 * Math.sin(i), readout: 'trained',
      filters: filters.map(({ index, labels, clusters, noise }) => ({ index, labels, clusters, noise })),
      meanLabels, meanNoise, meanNoiseAll: withCluster.reduce((s, f) => s + f.noise, 0) / filters.length,
      clustersPerFilter: clusterSizes.length / filters.length, meanClusterSize: clusterSizes.reduce((a, b) => a + b, 0) / Math.max(1, clusterSizes.length),
      clusterSizeHistogram: histogram, snrA: meanNoise === 0 ? null : meanLabels / meanNoise, snrB: meanNoise === 0 ? null : inSquares / meanNoise,
      emptyFilters: (filters.length - withCluster.length) / filters.length,
    };
  });
  let inChannels = 3;
  let spatial = 32;
  const layers: PrunedLayer[] = VGG16_FILTERS.map((f, i) => {
    const params = 9 * inChannels * f + f;
    const macs = 9 * inChannels * f * spatial * spatial;
    const targeted = i >= 9;
    const sparsityAfter = targeted ? 0.7 + 0.05 * (i - 9) : 0;
    const zerosAfter = Math.round((params - f) * sparsityAfter);
    inChannels = f;
    if ([1, 3, 6, 9, 12].includes(i)) spatial = Math.max(1, spatial / 2);
    return {
      name: names[i], className: 'Conv2D', targeted,
      before: { params, zeros: 0, sparsity: 0, filters: f, macs },
      after: { params, zeros: zerosAfter, sparsity: zerosAfter / params, filters: f, macs },
    };
  });
  const paramsTotal = layers.reduce((s, l) => s + l.before.params, 0) + 512 * classes + classes;
  const zerosAfter = layers.reduce((s, l) => s + l.after.zeros, 0);
  const macsTotal = layers.reduce((s, l) => s + l.before.macs, 0) + 512 * classes;
  const perClass = (base: number, r: () => number) => Array.from({ length: classes }, () => Math.min(1, Math.max(0, base + (r() - 0.5) * 0.3)));
  const r = mulberry32(seed + 99);
  const acc = (top1: number) => ({ top1, top5: Math.min(1, top1 + 0.2), perClass: perClass(top1, r), loss: 1.2 - top1, samples: 10000 });
  const dataset = { path: '/data/cifar-100/test.bin', kind: 'cifar' as const, samples: 10000, classes, sha256: '0'.repeat(64), split: 'test', preprocessing: { scale: '-1..1' as const, source: 'inferred' as const } };
  const report: PruneReport = {
    schemaVersion: 1, kind: 'prune', tool: { name: 'quench', version: '0.1.0' }, createdAt: '2025-06-01T12:00:00.000Z', backend: 'wasm',
    model: { path: '/work/models/vgg16-cifar100/model.json', name: 'vgg16-cifar100', format: 'tfjs-layers', sha256: 'a'.repeat(64), inputShape: [32, 32, 3], classes },
    timings: [{ stage: 'sfp', seconds: 412.5 }, { stage: 'prune', seconds: 3.2 }, { stage: 'evaluate', seconds: 58.1 }],
    notes: ['Synthetic report for UI tests: the numbers are generated, not measured.'],
    method: 'afcc', seed, options: { threshold: 0.3 }, dataset, layers,
    totals: {
      before: { params: paramsTotal, zeros: 0, sparsity: 0, macs: macsTotal, bytes: paramsTotal * 4 + 9000, gzipBytes: Math.round(paramsTotal * 3.7) },
      after: { params: paramsTotal, zeros: zerosAfter, sparsity: zerosAfter / paramsTotal, macs: macsTotal, bytes: paramsTotal * 4 + 9000, gzipBytes: Math.round(paramsTotal * 3.7 - zerosAfter * 3.2) },
    },
    targetedSparsity: 0.76,
    accuracy: { before: acc(0.7012), afterMask: acc(0.6120), after: acc(0.6955) },
    sfp: { threshold: 0.3, dataSplit: 'test', samples: 10000, classes, layers: sfpLayers },
    output: { path: '/work/models/vgg16-cifar100/model.pruned.json', format: 'tfjs-layers', bytes: paramsTotal * 4 + 9000, gzipBytes: 1, verified: true, maxAbsDiff: 0, structured: false },
  };
  const matricesFor = (layer: string) => {
    const i = names.indexOf(layer);
    if (i < 0) throw new Error(`synthetic VGG has no layer ${layer}`);
    return syntheticLayerMatrices(filterSets[i], classes, seed * 31 + i);
  };
  return {
    report,
    matricesFor,
    matricesFile: (layerNames = names) =>
      encodeMatricesFile(classes, layerNames.map((name) => ({ name, filters: filterSets[names.indexOf(name)].length, data: matricesFor(name) }))),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? '')) {
  const outDir = process.argv[2] ?? 'test-results/synthetic-vgg';
  mkdirSync(outDir, { recursive: true });
  const vgg = makeSyntheticVgg();
  vgg.report.sfp!.matricesPath = path.resolve(outDir, 'matrices.sfpm');
  writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(vgg.report));
  writeFileSync(path.join(outDir, 'matrices.sfpm'), vgg.matricesFile());
  console.log(`wrote ${outDir}/report.json and matrices.sfpm`);
}
