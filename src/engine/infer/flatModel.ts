// A flat functional model built from the engine graph: one layer per graph node, nested models
// dissolved, each layer with its original's config (or a replacement, e.g. a folded convolution)
// and weights. Every graph tensor is then a top-level layer's output, reachable by name — also a
// layer deep inside a nested model, or the second call of a shared layer — and the model's JSON
// alone rebuilds it (the helper thread's copy).
import * as tf from '@tensorflow/tfjs';
import type { ModelGraph } from '../graph';

/** One layer as tfjs serialises it (Python-style keys). */
export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** What one graph node becomes in the flat model. */
export interface FlatLayer {
  /** The graph node, whose output tensor id the layer's output stands for. */
  node: string;
  json: LayerJson;
  weights: tf.Tensor[];
  /** Graph tensor ids it reads (a folded convolution reads its own input). */
  inputs: string[];
}

export interface FlatModel {
  model: tf.LayersModel;
  /** The JSON it was built from: rebuilds it exactly (tfjs's toJSON drops a SeparableConv2D's depth multiplier). */
  topology: object;
  /** The flat layer computing a graph tensor (a node id, or `input:<name>` for an input). */
  layerOf: Map<string, string>;
}

/** The serialised config of every layer of the model, nested models' layers included, by layer. */
export function layerConfigs(model: tf.LayersModel): Map<tf.layers.Layer, LayerJson> {
  const found = new Map<tf.layers.Layer, LayerJson>();
  const visit = (container: tf.LayersModel, config: { layers?: (LayerJson & { name?: string })[] }): void => {
    const entries = config.layers ?? [];
    for (const layer of container.layers) {
      const entry = entries.find((e) => (e.name ?? e.config['name']) === layer.name);
      if (!entry) continue;
      if (layer instanceof tf.LayersModel) visit(layer, entry.config as typeof config);
      else if (!found.has(layer)) found.set(layer, withDepthMultiplier(layer, entry));
    }
  };
  visit(model, (model.toJSON(null, false) as unknown as { config: { layers?: LayerJson[] } }).config);
  return found;
}

/** tfjs 4.22's SeparableConv2D leaves its depth multiplier out of its config (rebuilt, it would be 1). */
function withDepthMultiplier(layer: tf.layers.Layer, entry: LayerJson): LayerJson {
  const multiplier = (layer as unknown as { depthMultiplier?: number }).depthMultiplier;
  if (entry.class_name !== 'SeparableConv2D' || multiplier === undefined || 'depth_multiplier' in entry.config) return entry;
  return { ...entry, config: { ...entry.config, depth_multiplier: multiplier } };
}

/** Layer names tfjs accepts (they prefix weight names, whose characters it checks). */
const VALID_NAME = /^[A-Za-z0-9][-A-Za-z0-9._]*$/;

/** A unique, valid layer name for a graph id: `base/conv1` → `base__conv1`, `conv#1` → `conv_call1`. */
function namer(): (id: string) => string {
  const taken = new Set<string>();
  return (id) => {
    let name = id.replace(/^input:/, '').replaceAll('/', '__').replaceAll('#', '_call').replace(/[^-A-Za-z0-9._]/g, '_');
    if (!VALID_NAME.test(name)) name = `l${name}`;
    let unique = name;
    for (let k = 1; taken.has(unique); k++) unique = `${name}_${k}`;
    taken.add(unique);
    return unique;
  };
}

/**
 * Builds the flat model over `graph` from `layers` (in topological order; nodes left out are
 * absorbed into another layer, whose output then stands for theirs via `aliases`). Its outputs
 * are the graph's outputs. The weights are shared with the given tensors (copy on write), which
 * the caller may dispose.
 */
export async function buildFlatModel(
  name: string,
  graph: ModelGraph,
  layers: FlatLayer[],
  aliases: Map<string, string>,
): Promise<FlatModel> {
  const nameOf = namer();
  const layerOf = new Map<string, string>();
  const entries: object[] = [];
  for (const input of graph.inputs) {
    const inputName = nameOf(input);
    layerOf.set(input, inputName);
    const shape = graph.tensor(input).shape;
    const config = { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, name: inputName };
    entries.push({ class_name: 'InputLayer', name: inputName, config, inbound_nodes: [] });
  }
  const source = (tensor: string): string => {
    const layer = layerOf.get(aliases.get(tensor) ?? tensor);
    if (layer === undefined) throw new Error(`The flat model reads ${tensor} before it is computed.`);
    return layer;
  };
  for (const flat of layers) {
    const layerName = nameOf(flat.node);
    const config: Record<string, unknown> = { ...flat.json.config, name: layerName };
    delete config['batch_input_shape']; // only an input layer fixes the input shape here
    const inbound = [flat.inputs.map((t) => [source(t), 0, 0, {}])];
    entries.push({ class_name: flat.json.class_name, name: layerName, config, inbound_nodes: inbound });
    layerOf.set(flat.node, layerName);
  }
  for (const [tensor, into] of aliases) {
    const layer = layerOf.get(into);
    if (layer !== undefined) layerOf.set(tensor, layer);
  }
  const endpoint = (tensor: string): [string, number, number] => [source(tensor), 0, 0];
  const topology = {
    class_name: 'Model',
    config: { name, layers: entries, input_layers: graph.inputs.map(endpoint), output_layers: graph.outputs.map(endpoint) },
  };
  const model = await tf.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] });
  try {
    for (const flat of layers) model.getLayer(layerOf.get(flat.node)!).setWeights(flat.weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, topology, layerOf };
}
