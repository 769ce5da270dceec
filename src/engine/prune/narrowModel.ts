// Builds the narrower model structured removal describes: the input model's JSON config with new
// widths (filters/units of mixing layers, Reshape targets, the input shapes of nested models), built
// by tfjs, then every layer's weights sliced to the kept channels. The input model is read, never
// changed.
import * as tf from '@tensorflow/tfjs';
import { modelFromTopology } from '../formats/build';
import { layerById, type GraphNode, type ModelGraph } from '../graph';
import { keptIndices, type ChannelGroups } from './groups';
import { weightName, type LayerWeights, type WeightArray } from './kernelSlices';

export interface NarrowPlan {
  /** Per tensor, the channels that stay, ascending. */
  kept: Map<string, number[]>;
  /** The weights to slice, per node id (folded constants already added); absent: the layer's own. */
  weights: (node: string) => LayerWeights;
  /** Mixing layers that gain a bias to hold a folded constant. */
  biasAdded: Set<string>;
}

interface LayerJson {
  class_name?: string;
  config?: Record<string, unknown> & { name?: string; layers?: LayerJson[] };
}

const CONTAINERS = new Set(['Sequential', 'Model', 'Functional']);

/** Values of `w` at `indices` along `axis`. */
function gather(w: WeightArray, axis: number, indices: readonly number[]): WeightArray {
  const shape = w.shape;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = shape[axis]!;
  const values = new Float32Array(outer * indices.length * inner);
  for (let a = 0; a < outer; a++) {
    indices.forEach((index, k) => {
      const from = (a * size + index) * inner;
      values.set(w.values.subarray(from, from + inner), (a * indices.length + k) * inner);
    });
  }
  return { values, shape: shape.map((d, i) => (i === axis ? indices.length : d)) };
}

function sliceWeights(node: GraphNode, weights: LayerWeights, rowsIn: number[], keptOut: number[], channelsIn: number[]): LayerWeights {
  const result: LayerWeights = new Map();
  for (const [name, w] of weights) {
    const rank = w.shape.length;
    let sliced = w;
    if (node.className === 'BatchNormalization') sliced = gather(w, 0, rowsIn);
    else if (node.className === 'PReLU') sliced = w.shape[rank - 1] === 1 ? w : gather(w, rank - 1, rowsIn);
    else if (node.className === 'DepthwiseConv2D') sliced = name === 'bias' ? gather(w, 0, keptOut) : gather(w, 2, channelsIn);
    else if (node.capability.role === 'mixing') {
      if (name === 'bias') sliced = gather(w, 0, keptOut);
      else if (name === 'depthwise_kernel') sliced = gather(w, 2, rowsIn);
      else if (name === 'pointwise_kernel') {
        const m = weights.get('depthwise_kernel')!.shape[3]!;
        sliced = gather(gather(w, 2, rowsIn.flatMap((r) => Array.from({ length: m }, (_, j) => r * m + j))), 3, keptOut);
      } else sliced = gather(gather(w, rank - 2, rowsIn), rank - 1, keptOut);
    }
    result.set(name, sliced);
  }
  return result;
}

/** The graph tensor a nested model's input layer stands for (found through the layers reading it). */
function nestedInputTensor(model: tf.LayersModel, graph: Map<string, GraphNode>, path: string[], name: string): string | null {
  const container = layerById(model, path.join('/')) as tf.LayersModel;
  const input = container.getLayer(name);
  type Outbound = { outboundLayer: tf.layers.Layer; inboundLayers: tf.layers.Layer[] };
  for (const call of (input as unknown as { outboundNodes: Outbound[] }).outboundNodes) {
    const consumer = call.outboundLayer;
    const j = call.inboundLayers.indexOf(input);
    if (!container.layers.includes(consumer) || j < 0) continue;
    if (consumer instanceof tf.LayersModel) return nestedInputTensor(model, graph, [...path, consumer.name], consumer.inputLayers[j]!.name);
    const node = graph.get([...path, consumer.name].join('/'));
    if (node) return node.inputs[j] ?? null;
  }
  return null;
}

/** Writes the new widths into the config of every layer, nested models included. */
function narrowConfig(topology: LayerJson, model: tf.LayersModel, graph: ModelGraph, groups: ChannelGroups, plan: NarrowPlan): void {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const width = (tensor: string): number => groups.layouts.get(tensor)!.positions * plan.kept.get(tensor)!.length;
  const visit = (container: LayerJson, path: string[]): void => {
    const listed = Array.isArray(container.config) ? (container.config as LayerJson[]) : container.config?.layers ?? [];
    for (const entry of listed) {
      const config = entry.config!;
      const name = String(config.name);
      if (CONTAINERS.has(entry.class_name ?? '')) {
        visit(entry, [...path, name]);
        continue;
      }
      const node = nodes.get([...path, name].join('/'));
      if (node?.capability.role === 'mixing') {
        config[entry.class_name === 'Dense' ? 'units' : 'filters'] = plan.kept.get(node.outputs[0]!)!.length;
        if (plan.biasAdded.has(node.id)) config['use_bias'] = true;
      }
      const target = config['target_shape'];
      if (node && entry.class_name === 'Reshape' && Array.isArray(target) && target[target.length - 1] !== -1) {
        config['target_shape'] = [...target.slice(0, -1), width(node.outputs[0]!)];
      }
      const shape = config['batch_input_shape'];
      if (Array.isArray(shape) && path.length > 0) {
        const tensor = entry.class_name === 'InputLayer' ? nestedInputTensor(model, nodes, path, name) : node?.inputs[0] ?? null;
        if (tensor !== null) config['batch_input_shape'] = [...shape.slice(0, -1), width(tensor)];
      }
    }
  };
  visit(topology, []);
}

/** The narrower model: same topology and layer names, widths and weights from `plan`. */
export async function narrowModel(model: tf.LayersModel, graph: ModelGraph, groups: ChannelGroups, plan: NarrowPlan): Promise<tf.LayersModel> {
  const topology = model.toJSON(null, false) as Record<string, unknown>;
  narrowConfig(topology as LayerJson, model, graph, groups, plan);
  const narrow = await modelFromTopology(topology, 'the model after structured removal');
  try {
    const done = new Set<tf.layers.Layer>();
    for (const node of graph.nodes) {
      if (node.layer.weights.length === 0 || done.has(node.layer)) continue;
      done.add(node.layer);
      const input = node.inputs[0]!;
      const channelsIn = plan.kept.get(input)!;
      const rowsIn = keptIndices(groups.layouts.get(input)!, channelsIn);
      const sliced = sliceWeights(node, plan.weights(node.id), rowsIn, plan.kept.get(node.outputs[0]!)!, channelsIn);
      const layer = layerById(narrow, [...node.path, node.name].join('/'));
      const tensors = layer.weights.map((w) => {
        const value = sliced.get(weightName(w));
        if (!value) throw new Error(`structured removal has no ${weightName(w)} for ${node.id}`);
        return tf.tensor(value.values, value.shape, 'float32');
      });
      try {
        layer.setWeights(tensors);
      } finally {
        tf.dispose(tensors);
      }
    }
  } catch (error) {
    narrow.dispose();
    throw error;
  }
  return narrow;
}
