// Small hand-written reports with known numbers, for the export and panel tests.
import type { AccuracyResult, CompareReport, PruneReport } from '../../../src/protocol/report';

const perClass10 = (v: number) => Array.from({ length: 10 }, (_, c) => Math.round((v + (c % 3) * 0.01) * 1000) / 1000);
const accuracy = (top1: number): AccuracyResult => ({ top1, top5: 0.999, perClass: perClass10(top1), loss: 0.0312, samples: 10000 });

const base = {
  schemaVersion: 1 as const,
  tool: { name: 'quench' as const, version: '0.1.0' },
  createdAt: '2025-05-04T10:20:30.000Z',
  backend: 'wasm' as const,
  model: { path: '/ws/models/mnist/model.json', name: 'mnist', format: 'tfjs-layers' as const, sha256: 'f'.repeat(64), inputShape: [28, 28, 1], classes: 10 },
  timings: [{ stage: 'prune', seconds: 12.34 }],
  dataset: { path: '/ws/data/mnist-test', kind: 'idx' as const, samples: 10000, classes: 10, sha256: 'e'.repeat(64), split: 'test', preprocessing: { scale: '0..1' as const, source: 'inferred' as const } },
};

export const samplePrune: PruneReport = {
  ...base,
  kind: 'prune',
  notes: ['Layer dropout_1 is not prunable | skipped.'],
  method: 'afcc',
  seed: 7,
  options: { threshold: 0.3 },
  layers: [
    { name: 'conv2d_6', className: 'Conv2D', targeted: false, before: { params: 780, zeros: 0, sparsity: 0, filters: 30, macs: 451_200 }, after: { params: 780, zeros: 0, sparsity: 0, filters: 30, macs: 451_200 } },
    { name: 'conv2d_7', className: 'Conv2D', targeted: true, before: { params: 4065, zeros: 0, sparsity: 0, filters: 15, macs: 396_900 }, after: { params: 4065, zeros: 3048, sparsity: 0.7498, filters: 15, macs: 396_900 }, threshold: 0.3 },
    { name: 'dense_5', className: 'Dense', targeted: true, before: { params: 510, zeros: 0, sparsity: 0, filters: 10, macs: 500 }, after: { params: 510, zeros: 400, sparsity: 0.7843, filters: 10, macs: 500 } },
  ],
  totals: {
    before: { params: 24155, zeros: 0, sparsity: 0, macs: 867_000, bytes: 96_620, gzipBytes: 89_000 },
    after: { params: 24155, zeros: 3448, sparsity: 0.14275, macs: 867_000, bytes: 96_620, gzipBytes: 77_500 },
  },
  targetedSparsity: 0.7536,
  accuracy: { before: accuracy(0.9912), afterMask: accuracy(0.9801), after: accuracy(0.9874) },
  latency: [{ batch: 1, beforeMs: 1.5, afterMs: 1.48 }],
  sfp: {
    threshold: 0.3, dataSplit: 'test', samples: 10000, classes: 10,
    layers: [
      {
        name: 'conv2d_7', className: 'Conv2D', readoutAccuracy: 0.9713, readout: 'trained', meanLabels: 2.5, meanNoise: 1.25, meanNoiseAll: 1.0,
        clustersPerFilter: 1.5, meanClusterSize: 1.67, clusterSizeHistogram: [0, 2, 1, 0], snrA: 2, snrB: 3.5, emptyFilters: 0.2,
        filters: [
          { index: 0, labels: [1, 2, 3], clusters: [[1, 2], [3]], noise: 2 },
          { index: 1, labels: [], clusters: [], noise: -1 },
        ],
      },
      {
        name: 'dense_5', className: 'Dense', readoutAccuracy: 0.9874, readout: 'own-output', meanLabels: 1, meanNoise: 0, meanNoiseAll: 0,
        clustersPerFilter: 1, meanClusterSize: 1, clusterSizeHistogram: [0, 10], snrA: null, snrB: null, emptyFilters: 0,
        filters: [{ index: 0, labels: [0], clusters: [[0]], noise: 0 }],
      },
    ],
  },
  output: { path: '/ws/models/mnist/model.pruned.json', format: 'tfjs-layers', bytes: 96_620, gzipBytes: 77_500, verified: true, maxAbsDiff: 0, structured: false },
};

export const sampleCompare: CompareReport = {
  ...base,
  kind: 'compare',
  notes: [],
  reference: 'afcc',
  seed: 7,
  baseline: accuracy(0.9912),
  rows: [
    { method: 'afcc', layerSparsity: { conv2d_7: 0.75, dense_5: 0.78 }, targetedSparsity: 0.7536, totalSparsity: 0.1427, accuracy: accuracy(0.9874) },
    { method: 'magnitude', layerSparsity: { conv2d_7: 0.75, dense_5: 0.78 }, targetedSparsity: 0.7536, totalSparsity: 0.1427, accuracy: accuracy(0.9650), accuracyFinetuned: accuracy(0.9801) },
    { method: 'random', layerSparsity: { conv2d_7: 0.75, dense_5: 0.78 }, targetedSparsity: 0.7536, totalSparsity: 0.1427, accuracy: accuracy(0.5012) },
  ],
};
