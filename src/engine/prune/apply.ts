// Writing masks into a model as exact zeros, and the per-layer counts before and after.
import * as tf from '@tensorflow/tfjs';
import type { LayerCounts, LayerStats } from '../../protocol/report';
import { layerStats } from '../stats';
import { layerById } from '../graph/layers';
import type { KernelBlock, ModelGraph } from '../sfp/graph';
import type { KernelValues } from './baselines';
import type { MaskSet } from '../graph/masks';

/** Multiplies each masked kernel by its mask; pruned weights become +0 exactly. */
export function applyMasks(model: tf.LayersModel, masks: MaskSet): void {
  for (const mask of masks) {
    const layer = layerById(model, mask.layer);
    const [kernel, ...rest] = layer.getWeights();
    if (kernel.shape.join(',') !== mask.shape.join(',')) {
      throw new Error(`${mask.layer}: mask shape [${mask.shape}] does not match kernel [${kernel.shape}].`);
    }
    const pruned = tf.tidy(() => tf.where(tf.tensor(mask.keep, mask.shape, 'bool'), kernel, tf.zerosLike(kernel)));
    layer.setWeights([pruned, ...rest]);
    pruned.dispose();
  }
}

/** The kernel values of the targeted layers, viewed as [S, F, O] for slice-based baselines. */
export function kernelValues(graph: ModelGraph, layers: string[]): KernelValues[] {
  return layers.map((name) => {
    const block = graph.blocks.find((b) => b.name === name);
    if (!block) throw new Error(`No Conv2D/Dense layer named "${name}".`);
    const kernel = block.layer.getWeights()[0];
    const shape = kernel.shape as number[];
    const outputs = shape[shape.length - 1];
    const inputs = producerUnits(graph, block) ?? (block.kind === 'conv' ? shape[2] : shape[0]);
    return { layer: name, shape, values: kernel.dataSync() as Float32Array, spatial: kernel.size / (inputs * outputs), inputs, outputs };
  });
}

/** Units of the block feeding `block` (a dense after Flatten sees H·W·F rows from F filters). */
function producerUnits(graph: ModelGraph, block: KernelBlock): number | null {
  const producer = block.producer ? graph.blocks.find((b) => b.name === block.producer) : undefined;
  return producer && block.link ? producer.units : null;
}

/**
 * Counts of one layer now. Filters = output units with any nonzero incoming kernel weight (a unit
 * whose kernel column is all zero only passes its bias on). MACs = dense MACs × the share of
 * nonzero kernel weights: what a sparse kernel executes per sample.
 */
export function layerCounts(layer: tf.layers.Layer, stats: LayerStats): LayerCounts {
  const weights = layer.getWeights();
  if (weights.length === 0 || !['Conv2D', 'Dense'].includes(layer.getClassName())) {
    return { params: stats.params, zeros: stats.zeros, sparsity: stats.sparsity, filters: stats.filters, macs: stats.macs };
  }
  const kernel = weights[0].dataSync();
  const outputs = weights[0].shape[weights[0].shape.length - 1];
  const alive = new Uint8Array(outputs);
  let nonzero = 0;
  for (let i = 0; i < kernel.length; i++) {
    if (kernel[i] !== 0) {
      nonzero++;
      alive[i % outputs] = 1;
    }
  }
  return {
    params: stats.params,
    zeros: stats.zeros,
    sparsity: stats.sparsity,
    filters: alive.reduce((a, v) => a + v, 0),
    macs: Math.round(stats.macs * (nonzero / kernel.length)),
  };
}

/** Counts of every layer with weights, keyed by name. */
export function modelCounts(model: tf.LayersModel): Map<string, LayerCounts> {
  const stats = new Map(layerStats(model).map((s) => [s.name, s]));
  const counts = new Map<string, LayerCounts>();
  for (const layer of model.layers) {
    const s = stats.get(layer.name);
    if (s && layer.getWeights().length > 0) counts.set(layer.name, layerCounts(layer, s));
  }
  return counts;
}
