// Writing masks into a model as exact zeros, and the per-layer counts before and after.
import * as tf from '@tensorflow/tfjs';
import type { LayerCounts, LayerStats } from '../../protocol/report';
import { layerStats } from '../stats';
import { kernelIndexOf, layerById } from '../graph/layers';
import { EngineFailure } from '../core/errors';
import { targetByName, type ModelGraph } from '../sfp/graph';
import type { KernelValues } from './baselines';
import type { MaskSet } from '../graph/masks';

/** Multiplies each masked kernel by its mask; pruned weights become +0 exactly. */
export function applyMasks(model: tf.LayersModel, masks: MaskSet): void {
  for (const mask of masks) {
    const layer = layerById(model, mask.layer);
    const weights = layer.getWeights();
    const at = kernelIndexOf(layer);
    const kernel = weights[at]!;
    if (kernel.shape.join(',') !== mask.shape.join(',')) {
      throw new EngineFailure('mismatch', `${mask.layer}: mask shape [${mask.shape}] does not match kernel [${kernel.shape}]`);
    }
    const pruned = tf.tidy(() => tf.where(tf.tensor(mask.keep, mask.shape, 'bool'), kernel, tf.zerosLike(kernel)));
    layer.setWeights(weights.map((w, i) => (i === at ? pruned : w)));
    pruned.dispose();
  }
}

/** The kernel values of the targeted layers, viewed as [S, F, O] for slice-based baselines. */
export function kernelValues(graph: ModelGraph, layers: string[]): KernelValues[] {
  return layers.map((name) => {
    const target = targetByName(graph, name);
    const kernel = target.layer.getWeights()[target.kernelIndex]!;
    return { layer: name, shape: target.kernelShape, values: kernel.dataSync() as Float32Array, spatial: target.spatial, inputs: target.inputs, outputs: target.outputs };
  });
}

/**
 * Counts of one layer now. Filters = output units with any nonzero incoming kernel weight (a unit
 * whose kernel column is all zero only passes its bias on). MACs = dense MACs × the share of
 * nonzero kernel weights: what a sparse kernel executes per sample.
 */
export function layerCounts(layer: tf.layers.Layer, stats: LayerStats): LayerCounts {
  const weights = layer.getWeights();
  if (weights.length === 0 || !['Conv2D', 'Dense', 'SeparableConv2D'].includes(layer.getClassName())) {
    return { params: stats.params, zeros: stats.zeros, sparsity: stats.sparsity, filters: stats.filters, macs: stats.macs };
  }
  const weight = weights[kernelIndexOf(layer)]!;
  const kernel = weight.dataSync();
  const outputs = weight.shape[weight.shape.length - 1]!;
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

/** Counts of every layer with weights, keyed by graph id, in model order. */
export function modelCounts(model: tf.LayersModel): Map<string, LayerCounts> {
  const counts = new Map<string, LayerCounts>();
  for (const s of layerStats(model)) {
    const layer = layerById(model, s.name);
    if (layer.weights.length > 0 && !counts.has(s.name)) counts.set(s.name, layerCounts(layer, s));
  }
  return counts;
}
