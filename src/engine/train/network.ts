// A LayersModel re-expressed as steps over tensors we own, in the engine graph's topological order
// (nested models flattened), so training can use the fast convolution gradients, hold pruning
// masks in the forward pass, and choose per layer which parameters train. Layers outside the
// table in steps.ts are refused with a readable message.
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';
import { buildGraph, type ModelGraph } from '../graph/build';
import type { MaskSet } from '../graph/masks';
import { hasKernel, stepOf, type Step } from './steps';
import type { ConvGeometry } from './convolution';

export type { Activation, KernelStep, MergeOp, Step } from './steps';
export type { ConvGeometry };

export interface Network {
  graph: ModelGraph;
  /** One step per graph node, in topological order. */
  steps: Step[];
  /** The layer each step calls (a shared layer appears once per call). */
  layers: tf.layers.Layer[];
  /** The model's one input and one output tensor ids. */
  input: string;
  output: string;
}

/** The model's steps; refuses models with several inputs or outputs and layers the table lacks. */
export function networkOf(model: tf.LayersModel): Network {
  const graph = buildGraph(model);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new EngineFailure('unsupported', `fine-tuning needs a model with one input and one output (this one has ${graph.inputs.length} and ${graph.outputs.length})`);
  }
  for (const node of graph.nodes) {
    if (node.inputs.length !== 1 && node.capability.role !== 'merge') {
      throw new EngineFailure('unsupported', `layer "${node.id}" (${node.className}) takes ${node.inputs.length} inputs; fine-tuning supports that only for merge layers`);
    }
  }
  return {
    graph,
    steps: graph.nodes.map((node) => stepOf(node, graph)),
    layers: graph.nodes.map((node) => node.layer),
    input: graph.inputs[0]!,
    output: graph.outputs[0]!,
  };
}

/**
 * The model as a chain of top-level layers, for code that walks layers one after another
 * (structured removal); refuses branching graphs and nested models.
 */
export function chainOf(model: tf.LayersModel): { layers: tf.layers.Layer[]; steps: Step[] } {
  const network = networkOf(model);
  let previous = network.input;
  for (const [index, step] of network.steps.entries()) {
    const nested = network.graph.node(step.output).path.length > 0;
    if (nested || step.inputs.length !== 1 || step.inputs[0] !== previous) {
      throw new EngineFailure('unsupported', `layer "${network.layers[index]!.name}" does not follow a single previous layer: only chain-shaped models are supported here`);
    }
    previous = step.output;
  }
  return { layers: network.layers, steps: network.steps };
}

/** Which of a layer's weights a mask applies to: SeparableConv2D's pointwise kernel, else the first. */
export function maskedWeightIndex(step: Step): number {
  return step.kind === 'separable' ? 1 : 0;
}

/**
 * For every cut between steps (0 … steps.length), the one tensor that carries everything later
 * steps read, or null where several do (a branch is open). Caching and resuming the forward
 * pass is possible only at cuts with one tensor; on a chain that is every cut.
 */
export function singleTensorCuts(network: Network): (string | null)[] {
  const lastUse = new Map<string, number>();
  network.steps.forEach((step, index) => step.inputs.forEach((t) => lastUse.set(t, index)));
  lastUse.set(network.output, Infinity);
  const cuts: (string | null)[] = [];
  const live = new Set([network.input]);
  network.steps.forEach((step, index) => {
    cuts.push(live.size === 1 ? [...live][0]! : null);
    for (const t of step.inputs) if (lastUse.get(t) === index) live.delete(t);
    live.add(step.output);
  });
  cuts.push(network.output);
  return cuts;
}

/** Mask tensors keyed by layer id, checked against the kernels they apply to. */
export function maskTensors(network: Network, masks: MaskSet): Map<string, tf.Tensor> {
  const result = new Map<string, tf.Tensor>();
  try {
    for (const mask of masks) {
      const index = network.steps.findIndex((s) => s.layer === mask.layer);
      const step = network.steps[index];
      if (!step) throw new EngineFailure('mismatch', `mask names layer "${mask.layer}", which the model does not have`);
      if (!hasKernel(step)) throw new EngineFailure('mismatch', `mask names layer "${mask.layer}", which has no kernel`);
      const kernelShape = network.layers[index]!.getWeights()[maskedWeightIndex(step)]?.shape ?? [];
      if (kernelShape.join(',') !== mask.shape.join(',') || mask.keep.length !== kernelShape.reduce((a, b) => a * b, 1)) {
        throw new EngineFailure('mismatch', `mask for layer "${mask.layer}" has shape [${mask.shape}], but its kernel is [${kernelShape}]`);
      }
      result.set(mask.layer, tf.tensor(Float32Array.from(mask.keep), mask.shape));
    }
  } catch (error) {
    tf.dispose([...result.values()]);
    throw error;
  }
  return result;
}
