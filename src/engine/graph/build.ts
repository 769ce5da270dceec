// One typed graph per model: every layer call as a node, every tensor between them, in
// topological order, with nested models flattened into their layers (each node keeps the path of
// nested model names it sits in, so writers can put it back). Built once from the tfjs model that
// every format reader produces.
import * as tf from '@tensorflow/tfjs';
import { capabilityOf, type Capability } from './roles';

type Shape = (number | null)[];

export interface GraphNode {
  /** Unique in the graph: nested path and name joined by '/', `#k` for the k-th call of a shared layer. */
  id: string;
  /** The layer's own name (what model.getLayer finds inside its nested model). */
  name: string;
  /** Names of the nested models holding the layer, outermost first ([] at the top level). */
  path: string[];
  className: string;
  layer: tf.layers.Layer;
  inputs: string[];
  outputs: string[];
  capability: Capability;
  /** True when the layer is called more than once (weights shared between calls). */
  shared: boolean;
}

export interface GraphTensor {
  id: string;
  /** Without the batch dimension. */
  shape: Shape;
  /** The node that computes it; null for a model input. */
  producer: string | null;
  consumers: string[];
}

export interface ModelGraph {
  /** Topological order: every node comes after the producers of its inputs. */
  nodes: GraphNode[];
  tensors: Map<string, GraphTensor>;
  inputs: string[];
  outputs: string[];
  node(id: string): GraphNode;
  tensor(id: string): GraphTensor;
}

/** The symbolic-tensor fields tfjs keeps (not in its public typings). */
interface Symbolic {
  id: number;
  shape: Shape;
  sourceLayer: tf.layers.Layer;
  nodeIndex: number;
}
interface LayerNode {
  inputTensors: Symbolic[];
  outputTensors: Symbolic[];
}

function inboundNode(t: Symbolic): LayerNode {
  return (t.sourceLayer as unknown as { inboundNodes: LayerNode[] }).inboundNodes[t.nodeIndex]!;
}

function symbolic(tensors: readonly tf.SymbolicTensor[]): Symbolic[] {
  return tensors as unknown as Symbolic[];
}

/** Builds the graph of a Sequential or Functional model, nested models flattened. */
export function buildGraph(model: tf.LayersModel): ModelGraph {
  const nodes: GraphNode[] = [];
  const tensors = new Map<string, GraphTensor>();
  const calls = new Map<tf.layers.Layer, number>();
  // Where each layer sits. Not the path the walk below takes: tfjs lets a Sequential whose first
  // layer is a model adopt that model's tensors, so the walk can reach its layers without passing
  // through either model.
  const owners = new Map<tf.layers.Layer, string[]>();
  const own = (container: tf.LayersModel, path: string[]): void => {
    for (const layer of container.layers) {
      if (layer instanceof tf.LayersModel) own(layer, [...path, layer.name]);
      else if (!owners.has(layer)) owners.set(layer, path);
    }
  };
  own(model, []);
  const addTensor = (id: string, shape: Shape, producer: string | null): string => {
    tensors.set(id, { id, shape: shape.slice(1), producer, consumers: [] });
    return id;
  };

  /** Flattens `container` applied to the graph tensors `inputIds`; returns its output tensors' ids. */
  function flatten(container: tf.LayersModel, inputIds: string[]): string[] {
    const known = new Map<number, string>();
    symbolic(container.inputs).forEach((t, i) => known.set(t.id, inputIds[i]!));
    const visit = (t: Symbolic): string => {
      const seen = known.get(t.id);
      if (seen !== undefined) return seen;
      const layer = t.sourceLayer;
      const call = inboundNode(t);
      const ins = call.inputTensors.map(visit);
      const outs =
        layer instanceof tf.LayersModel
          ? flatten(layer, ins)
          : [addNode(layer, call, ins)];
      call.outputTensors.forEach((o, i) => known.set(o.id, outs[i]!));
      return known.get(t.id)!;
    };
    return symbolic(container.outputs).map(visit);
  }

  function addNode(layer: tf.layers.Layer, call: LayerNode, inputs: string[]): string {
    const path = owners.get(layer) ?? [];
    const count = calls.get(layer) ?? 0;
    calls.set(layer, count + 1);
    const id = [...path, layer.name].join('/') + (count > 0 ? `#${count}` : '');
    const inShape = tensors.get(inputs[0] ?? '')?.shape ?? [];
    const output = addTensor(id, call.outputTensors[0]!.shape, id);
    for (const input of inputs) tensors.get(input)!.consumers.push(id);
    nodes.push({
      id,
      name: layer.name,
      path,
      className: layer.getClassName(),
      layer,
      inputs,
      outputs: [output],
      capability: capabilityOf(layer, [null, ...inShape]),
      shared: false,
    });
    return output;
  }

  const inputs = symbolic(model.inputs).map((t) => addTensor(`input:${t.sourceLayer.name}`, t.shape, null));
  const outputs = flatten(model, inputs);
  for (const node of nodes) node.shared = (calls.get(node.layer) ?? 0) > 1;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    nodes,
    tensors,
    inputs,
    outputs,
    node(id) {
      const found = byId.get(id);
      if (!found) throw new Error(`The model graph has no layer "${id}".`);
      return found;
    },
    tensor(id) {
      const found = tensors.get(id);
      if (!found) throw new Error(`The model graph has no tensor "${id}".`);
      return found;
    },
  };
}
