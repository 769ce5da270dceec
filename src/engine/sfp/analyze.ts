// The SFP analysis of a model (METHOD.md §3-§6, on graphs §15.2): features at each unit's cut
// (a block's, on a chain), a readout per unit, the per-filter matrices, clusters and per-layer
// statistics, with per-stage timings.
import * as tf from '@tensorflow/tfjs';
import type { SfpLayer, SfpSection, Timing } from '../../protocol/report';
import type { Dataset } from '../data/types';
import { throwIfCancelled, type JobContext } from '../core/context';
import { EngineFailure } from '../core/errors';
import { clusterLayer, type FilterClusters } from './clusters';
import { cachedFeatures, FeatureExtractor, featureSpec, streamedFeatures, type FeatureSource, type FeatureSpec } from './features';
import { analysableUnits, modelGraph, unitByName, type ModelGraph, type SfpUnit } from './graph';
import { summariseLayer } from './layerStats';
import { SfpMatrixAccumulator, type NormalisedMatrices } from './matrices';
import { mulberry32 } from '../core/random';
import { DEFAULT_READOUT, trainReadouts, type ReadoutOptions } from './readout';

export interface SfpOptions {
  /** Units to analyse, by the layer that starts each; default every unit below the classifier. */
  blocks?: string[];
  threshold: number;
  readout: ReadoutOptions;
  /** Average-pool trained readouts' maps larger than this side (diagnostic deviation); null: never. */
  poolTo: number | null;
  /** Keep features in memory up to this many MiB; beyond it they are recomputed per pass. */
  featureBudgetMB: number;
  /** Readout training data; without it a seeded share of the evaluation data is split off. */
  trainData?: Dataset;
  /** At most this many training samples for the readouts. */
  readoutSamples: number;
  /** Share of the evaluation data used to train readouts when there is no training data. */
  splitFraction: number;
}

export const DEFAULT_SFP: SfpOptions = {
  threshold: 0.3,
  readout: DEFAULT_READOUT,
  poolTo: 7,
  featureBudgetMB: 1024,
  readoutSamples: 10000,
  splitFraction: 0.8,
};

export interface SfpLayerAnalysis {
  block: SfpUnit;
  spec: FeatureSpec;
  readout: 'trained' | 'own-output';
  readoutAccuracy: number;
  matrices: NormalisedMatrices;
}

export interface SfpAnalysis {
  graph: ModelGraph;
  layers: SfpLayerAnalysis[];
  classes: number;
  samples: number;
  dataSplit: string;
  notes: string[];
  timings: Timing[];
}

/** Runs the analysis on `evalData` (the matrices' data). Leaves no tensors behind. */
export async function analyzeSfp(model: tf.LayersModel, evalData: Dataset, options: SfpOptions, ctx: JobContext): Promise<SfpAnalysis> {
  const graph = modelGraph(model);
  const notes = [...graph.notes];
  const timings: Timing[] = [];
  const blocks = options.blocks ? options.blocks.map((n) => unitByName(graph, n)) : analysableUnits(graph);
  if (evalData.classes !== graph.classes) {
    throw new EngineFailure('mismatch', `${evalData.classes} classes, but the model's output ${graph.output.name} has ${graph.classes} units`, evalData.info.path);
  }
  // The unit the classifier reads whole reads out through the model's own classifier (§3, §14).
  const own = (b: SfpUnit): boolean => graph.outputReads?.unit === b.name;
  const specs = blocks.map((b) => featureSpec(b, own(b) ? null : options.poolTo, own(b) && graph.outputReads?.via === 'gap'));
  for (const s of specs) if (typeof s.pool === 'number') notes.push(`${s.block.name}: features average-pooled to ${s.shape[0]}×${s.shape[1]} before the readout (METHOD.md §3 deviation).`);
  const extractor = new FeatureExtractor(model, specs);
  // Folded BatchNorm and a second thread for the forward passes, where they apply.
  await extractor.prepare(ctx);
  try {
    const budget = options.featureBudgetMB * 1024 * 1024;
    const classes = graph.classes;
    const trained = specs.map((s, slot) => ({ slot, size: s.size })).filter(({ slot }) => !own(blocks[slot]));
    const n = evalData.size;
    const stopwatch = startClock();

    let evalSource: FeatureSource | null = null;
    let include: (index: number) => boolean = () => true;
    let testOnly: (index: number) => boolean = () => true;
    let dataSplit = evalData.info.split || 'test';
    const progressFeatures = (done: number, total: number): void => ctx.progress({ stage: 'features', fraction: done / total });
    let trainSource: FeatureSource | null = null;
    if (trained.length > 0) {
      if (options.trainData) {
        const end = Math.min(options.trainData.size, options.readoutSamples);
        trainSource = end * extractor.bytesPerSample() <= budget
          ? await cachedFeatures(extractor, options.trainData, 0, end, ctx, (d) => progressFeatures(d, end))
          : streamedFeatures(extractor, options.trainData, 0, end, ctx);
        notes.push(`Readouts trained on ${end} samples of ${options.trainData.info.path}.`);
      } else {
        const inTrain = splitMembership(n, options.splitFraction, options.readout.seed);
        include = (i) => inTrain[i] === 1;
        testOnly = (i) => inTrain[i] === 0;
        trainSource = n * extractor.bytesPerSample() <= budget
          ? await cachedFeatures(extractor, evalData, 0, n, ctx, (d) => progressFeatures(d, n))
          : streamedFeatures(extractor, evalData, 0, n, ctx, true);
        evalSource = trainSource;
        notes.push(`No training data: readouts trained on a seeded ${Math.round(options.splitFraction * 100)}% of the evaluation data; readout accuracy is measured on the other ${Math.round((1 - options.splitFraction) * 100)}%. The matrices use all ${n} samples.`);
        dataSplit = `${dataSplit} (readouts: split)`;
      }
      timings.push({ stage: 'features', seconds: stopwatch() });
    }

    const kernels: tf.Tensor2D[] = [];
    const biases: (tf.Tensor1D | null)[] = [];
    try {
      if (trainSource) {
        const trainedKernels = await trainReadouts(trainSource, trained, classes, options.readout, ctx, include, (p) =>
          ctx.progress({ stage: 'readouts', epoch: p.epoch, epochs: p.epochs, loss: p.losses.reduce((a, b) => a + b, 0) / p.losses.length, fraction: p.epoch / p.epochs }));
        trained.forEach(({ slot }, i) => (kernels[slot] = trainedKernels[i]));
        timings.push({ stage: 'readouts', seconds: stopwatch() });
      }
      specs.forEach((s, slot) => {
        if (own(s.block)) {
          const [kernel, bias] = graph.output.layer.getWeights();
          // A 1×1 conv classifier before global pooling is the same linear map on pooled features.
          kernels[slot] = tf.reshape(kernel!, [s.size, graph.output.outputs]);
          biases[slot] = bias ? (tf.clone(bias) as tf.Tensor1D) : null;
        } else biases[slot] = null;
      });

      const accumulators = specs.map((s, slot) => new SfpMatrixAccumulator(kernels[slot], s.block.units, classes));
      const correct = new Float64Array(specs.length);
      const counted = new Float64Array(specs.length);
      const source = evalSource;
      const score = (slot: number, predicted: ArrayLike<number>, labels: Int32Array, index: (r: number) => number): void => {
        const ownReadout = own(specs[slot].block);
        for (let r = 0; r < predicted.length; r++) {
          if (!ownReadout && !testOnly(index(r))) continue;
          counted[slot] += 1;
          if (predicted[r] === labels[r]) correct[slot] += 1;
        }
      };
      let done = 0;
      try {
        if (source?.cached) {
          // Features in memory: per-label sums straight from the tables, predictions in large batches.
          const { tables, labels, start } = source.cached;
          for (let slot = 0; slot < specs.length; slot++) {
            throwIfCancelled(ctx);
            accumulators[slot].addRows(tables[slot], 0, labels);
            for (let first = 0; first < source.samples; first += PREDICT_BATCH) {
              const rows = Math.min(PREDICT_BATCH, source.samples - first);
              const predicted = predict(tables[slot].subarray(first * specs[slot].size, (first + rows) * specs[slot].size), rows, kernels[slot], biases[slot]);
              score(slot, await predicted.data(), labels.subarray(first, first + rows), (r) => start + first + r);
              predicted.dispose();
            }
            ctx.progress({ stage: 'matrices', fraction: (slot + 1) / specs.length });
          }
          done = source.samples;
        } else {
          // Features recomputed batch by batch (the helper thread takes every other batch).
          for await (const batch of extractor.rows(evalData, 0, n, ctx)) {
            const rows = batch.labels.length;
            for (let slot = 0; slot < specs.length; slot++) {
              accumulators[slot].addRows(batch.features[slot], 0, batch.labels);
              const predicted = predict(batch.features[slot], rows, kernels[slot], biases[slot]);
              score(slot, await predicted.data(), batch.labels, (r) => batch.offset + r);
              predicted.dispose();
            }
            done += rows;
            ctx.progress({ stage: 'matrices', fraction: done / n });
          }
        }
        timings.push({ stage: 'matrices', seconds: stopwatch() });
        const layers = specs.map((spec, slot): SfpLayerAnalysis => ({
          block: spec.block,
          spec,
          readout: own(spec.block) ? 'own-output' : 'trained',
          readoutAccuracy: counted[slot] > 0 ? correct[slot] / counted[slot] : 0,
          matrices: accumulators[slot].finish(),
        }));
        return { graph, layers, classes, samples: done, dataSplit, notes, timings };
      } finally {
        accumulators.forEach((a) => a.dispose());
      }
    } finally {
      kernels.forEach((k) => k?.dispose());
      biases.forEach((b) => b?.dispose());
    }
  } finally {
    await extractor.close();
  }
}

/** Rows per prediction batch over cached features (bigger batches: fewer, faster matMuls). */
const PREDICT_BATCH = 1000;

/** Class indices argmax(x·W + b) for `rows` cached feature rows. */
function predict(values: Float32Array, rows: number, kernel: tf.Tensor2D, bias: tf.Tensor1D | null): tf.Tensor1D {
  return tf.tidy(() => {
    const logits = tf.matMul(tf.tensor2d(values, [rows, kernel.shape[0]]), kernel);
    return (bias ? logits.add(bias) : logits).argMax(1) as tf.Tensor1D;
  });
}

/** Clusters of every analysed layer at `threshold`. */
export function layerClusters(layer: SfpLayerAnalysis, threshold: number): FilterClusters[] {
  const m = layer.matrices;
  return clusterLayer(m.data, m.empty, m.filters, m.classes, threshold);
}

export function sfpLayerReport(layer: SfpLayerAnalysis, threshold: number): SfpLayer {
  const summary = summariseLayer(layerClusters(layer, threshold), layer.matrices.classes);
  const pooled = typeof layer.spec.pool === 'number' ? { pooledTo: [layer.spec.shape[0], layer.spec.shape[1]] as [number, number] } : {};
  return {
    name: layer.block.name,
    className: layer.block.className,
    readoutAccuracy: layer.readoutAccuracy,
    readout: layer.readout,
    ...pooled,
    ...summary,
  };
}

/** The report section, clustering at `threshold` (timed as the 'clusters' stage by callers). */
export function sfpSection(analysis: SfpAnalysis, threshold: number, matricesPath?: string): SfpSection {
  return {
    threshold,
    dataSplit: analysis.dataSplit,
    samples: analysis.samples,
    classes: analysis.classes,
    layers: analysis.layers.map((l) => sfpLayerReport(l, threshold)),
    ...(matricesPath ? { matricesPath } : {}),
  };
}

/** 1 = the sample trains readouts; exactly round(fraction·n) ones, seeded. */
function splitMembership(n: number, fraction: number, seed: number): Uint8Array {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed ^ 0x5f3759df);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const member = new Uint8Array(n);
  for (let k = 0; k < Math.round(fraction * n); k++) member[order[k]] = 1;
  return member;
}

function startClock(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const seconds = (now - last) / 1000;
    last = now;
    return seconds;
  };
}
