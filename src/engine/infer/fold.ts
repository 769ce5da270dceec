// Inference-only copy of any model for the forward passes of evaluation and analysis: flat (one
// layer per graph node, nested models dissolved, flatModel.ts), with every convolution →
// BatchNormalization pair folded into one convolution (W' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β;
// per output channel for a depthwise kernel, into the pointwise kernel of a separable one) and a
// plain ReLU right after a linear convolution fused into it (the wasm backend runs conv + bias +
// ReLU as one XNNPACK operator). BatchNorm was ~20% of the example model's forward time on wasm;
// the copy computes the same values up to float rounding (softmax outputs within ~1e-6). The
// user's model is never changed.
import * as tf from '@tensorflow/tfjs';
import { buildGraph, type GraphNode, type ModelGraph } from '../graph';
import { buildFlatModel, layerConfigs, type FlatLayer, type LayerJson } from './flatModel';

export interface FoldedModel {
  /** Flat functional model; its outputs are the original's. */
  model: tf.LayersModel;
  /** The model's JSON topology, for rebuilding it elsewhere (the helper thread). */
  topology: object;
  /**
   * Layer name in the copy whose output is a graph tensor of the original: a node id (a top-level
   * layer's name, `base/conv1` inside a nested model) or `input:<name>`; a folded layer → its conv.
   */
  layerName(id: string): string;
  dispose(): void;
}

export interface FoldOptions {
  /**
   * Graph tensors whose values must stay observable in the copy (feature cuts): a BatchNorm is not
   * folded into a convolution whose own output is one of them, and a ReLU is not fused when the
   * pre-activation output (the conv or its BatchNorm) is. The model's outputs always are.
   */
  observe?: Iterable<string>;
  /** The model's graph, when the caller has it already. */
  graph?: ModelGraph;
}

const FOLDING_CONVS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/** The flat inference copy of `model`, folded where the rules above allow. */
export async function foldForInference(model: tf.LayersModel, options: FoldOptions = {}): Promise<FoldedModel> {
  const graph = options.graph ?? buildGraph(model);
  const observed = new Set([...(options.observe ?? []), ...graph.outputs]);
  const configs = layerConfigs(model);
  const layers: FlatLayer[] = [];
  const aliases = new Map<string, string>();
  const created: tf.Tensor[] = [];
  /** The single consumer of a node's output when it is not observed, else null. */
  const onlyConsumer = (node: GraphNode): GraphNode | null => {
    const tensor = graph.tensor(node.outputs[0]!);
    return !observed.has(tensor.id) && tensor.consumers.length === 1 ? graph.node(tensor.consumers[0]!) : null;
  };
  try {
    for (const node of graph.nodes) {
      if (aliases.has(node.id)) continue;
      const json = configs.get(node.layer);
      if (!json) throw new Error(`no serialised config for layer ${node.id}`);
      let config = json.config;
      let weights = node.layer.getWeights();
      if (FOLDING_CONVS.has(node.className) && linear(json) && config['data_format'] !== 'channels_first') {
        let last = node; // the node whose output the folded conv now produces
        const bn = onlyConsumer(node);
        const bnJson = bn && configs.get(bn.layer);
        if (bn && bnJson && foldableBatchNorm(bnJson)) {
          const [kernel, bias] = foldedWeights(node, bn);
          created.push(kernel, bias);
          // A separable conv keeps its depthwise kernel; the pointwise one takes the factor.
          weights = node.className === 'SeparableConv2D' ? [weights[0]!, kernel, bias] : [kernel, bias];
          config = { ...config, use_bias: true };
          aliases.set(bn.id, node.id);
          last = bn;
        }
        const relu = onlyConsumer(last);
        if (relu && plainRelu(configs.get(relu.layer))) {
          config = { ...config, activation: 'relu' };
          aliases.set(relu.id, node.id);
        }
      }
      layers.push({ node: node.id, json: { class_name: json.class_name, config }, weights, inputs: node.inputs });
    }
    const flat = await buildFlatModel(`${model.name}_inference`, graph, layers, aliases);
    return {
      model: flat.model,
      topology: flat.topology,
      layerName(id) {
        const name = flat.layerOf.get(id);
        if (name === undefined) throw new Error(`The model graph has no tensor "${id}".`);
        return name;
      },
      dispose: () => flat.model.dispose(),
    };
  } finally {
    created.forEach((t) => t.dispose());
  }
}

function linear(json: LayerJson): boolean {
  return (json.config['activation'] ?? 'linear') === 'linear';
}

function foldableBatchNorm(json: LayerJson): boolean {
  if (json.class_name !== 'BatchNormalization') return false;
  const axis = json.config['axis'];
  return axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3));
}

/** A ReLU layer without a cap, slope or threshold, or Activation('relu'). */
function plainRelu(json: LayerJson | undefined): boolean {
  if (!json) return false;
  const c = json.config;
  if (json.class_name === 'Activation') return c['activation'] === 'relu';
  if (json.class_name !== 'ReLU') return false;
  return (c['max_value'] ?? null) === null && !c['negative_slope'] && !c['threshold'];
}

/**
 * The kernel carrying the output channels (a SeparableConv2D's pointwise one) and the bias, with
 * the BatchNorm folded in. The factor scales each output channel: the last axis of a Conv2D or
 * pointwise kernel; for a depthwise kernel [kh, kw, C, m], output channel c·m + j, so the factor
 * is laid out as [C, m].
 */
function foldedWeights(conv: GraphNode, bn: GraphNode): [tf.Tensor, tf.Tensor] {
  const config = bn.layer.getConfig() as { center?: boolean; scale?: boolean; epsilon?: number };
  const bnWeights = bn.layer.getWeights();
  let k = 0;
  const gamma = config.scale === false ? null : bnWeights[k++]!;
  const beta = config.center === false ? null : bnWeights[k++]!;
  const mean = bnWeights[k++]!;
  const variance = bnWeights[k++]!;
  const convWeights = conv.layer.getWeights();
  const at = conv.className === 'SeparableConv2D' ? 1 : 0;
  const kernel = convWeights[at]!;
  const bias = convWeights[at + 1];
  return tf.tidy(() => {
    let factor = tf.rsqrt(tf.add(variance, config.epsilon ?? 1e-3));
    if (gamma) factor = tf.mul(factor, gamma);
    const perChannel = conv.className === 'DepthwiseConv2D' ? factor.reshape(kernel.shape.slice(2)) : factor;
    const w = tf.mul(kernel, perChannel);
    let b = tf.mul(tf.sub(bias ?? tf.zerosLike(mean), mean), factor);
    if (beta) b = tf.add(b, beta);
    return [w, b];
  });
}
