// The value each channel carries when every mixing layer writing its group has a zero slice: the
// writers output their activated bias, and BatchNorm, activations, depthwise kernels, merges and
// pooling turn that into another spatially constant value, or into one that is not constant
// (NaN here: a nonzero value through zero padding or a padded depthwise kernel). Values are
// computed per channel for the whole graph at once; each group reads only its own channels.
import * as tf from '@tensorflow/tfjs';
import type { GraphNode, ModelGraph } from '../graph';
import type { ChannelGroups } from './groups';
import { seesEveryTap, type LayerWeights } from './kernelSlices';

type Values = Float64Array;

/** The layer's elementwise function applied to known values (NaN stays NaN). */
function elementwise(values: Values, apply: (x: tf.Tensor) => tf.Tensor): Values {
  const known = values.map((v) => (Number.isNaN(v) ? 0 : v));
  const output = tf.tidy(() => apply(tf.tensor2d(Float32Array.from(known), [1, values.length])));
  const result = output.dataSync();
  output.dispose();
  return values.map((v, i) => (Number.isNaN(v) ? NaN : result[i]!));
}

interface Activated {
  activation?: { apply(x: tf.Tensor): tf.Tensor };
}

function mixingOutput(node: GraphNode, weights: LayerWeights, channels: number): Values {
  const bias = weights.get('bias')?.values;
  const values = Float64Array.from({ length: channels }, (_, o) => bias?.[o] ?? 0);
  const activation = (node.layer as unknown as Activated).activation;
  return activation ? elementwise(values, (x) => activation.apply(x)) : values;
}

function batchNorm(node: GraphNode, weights: LayerWeights, input: Values): Values {
  const epsilon = Number((node.layer.getConfig() as Record<string, unknown>)['epsilon'] ?? 1e-3);
  const at = (name: string, c: number, fallback: number): number => weights.get(name)?.values[c] ?? fallback;
  return input.map((v, c) => (at('gamma', c, 1) * (v - at('moving_mean', c, 0))) / Math.sqrt(at('moving_variance', c, 1) + epsilon) + at('beta', c, 0));
}

function depthwise(node: GraphNode, weights: LayerWeights, input: Values): Values {
  const kernel = weights.get('depthwise_kernel')!;
  const [, , channels, m] = kernel.shape as [number, number, number, number];
  const taps = kernel.values.length / (channels * m);
  const bias = weights.get('bias')?.values;
  const everyTap = seesEveryTap(node.layer);
  const out = new Float64Array(channels * m);
  for (let c = 0; c < channels; c++) {
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let t = 0; t < taps; t++) sum += kernel.values[(t * channels + c) * m + j]!;
      const v = input[c]!;
      const b = bias?.[c * m + j] ?? 0;
      out[c * m + j] = v === 0 ? b : everyTap ? v * sum + b : NaN;
    }
  }
  return out;
}

function merge(className: string, inputs: Values[]): Values {
  const combine: Record<string, (a: number[]) => number> = {
    Add: (a) => a.reduce((s, v) => s + v, 0),
    Subtract: (a) => a[0]! - a[1]!,
    Multiply: (a) => a.reduce((s, v) => s * v, 1),
    Average: (a) => a.reduce((s, v) => s + v, 0) / a.length,
    Maximum: (a) => Math.max(...a),
    Minimum: (a) => Math.min(...a),
  };
  if (className === 'Concatenate') return Float64Array.from(inputs.flatMap((v) => [...v]));
  const f = combine[className];
  return inputs[0]!.map((_, c) => (f ? f(inputs.map((v) => v[c]!)) : NaN));
}

const IDENTITY = new Set([
  'MaxPooling2D', 'Cropping2D', 'UpSampling2D', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout',
  'AlphaDropout', 'Reshape', 'Flatten', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D',
]);
const ACTIVATIONS = new Set(['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU']);

function nodeOutput(node: GraphNode, weights: LayerWeights, inputs: Values[], channels: number, positions: number): Values {
  const cls = node.className;
  const config = node.layer.getConfig() as Record<string, unknown>;
  const input = inputs[0] ?? new Float64Array(0);
  const unknown = () => new Float64Array(channels).fill(NaN);
  if (node.capability.role === 'mixing') return mixingOutput(node, weights, channels);
  if (node.capability.role === 'merge') return merge(cls, inputs);
  // After a Flatten, BatchNorm scales each position of a channel differently: not one constant.
  if (cls === 'BatchNormalization') return positions === 1 ? batchNorm(node, weights, input) : unknown();
  if (cls === 'DepthwiseConv2D') return depthwise(node, weights, input);
  if (ACTIVATIONS.has(cls)) return elementwise(input, (x) => node.layer.apply(x) as tf.Tensor);
  if (cls === 'PReLU') return input.map((v) => (v >= 0 ? v : NaN));
  if (cls === 'Rescaling') return input.map((v) => v * Number(config['scale'] ?? 1) + Number(config['offset'] ?? 0));
  // Zero padding and TF's 'same' average pooling keep only a zero constant.
  if (cls === 'ZeroPadding2D' || cls === 'AveragePooling2D') return input.map((v) => (v === 0 || (cls === 'AveragePooling2D' && config['padding'] === 'valid') ? v : NaN));
  if (IDENTITY.has(cls)) return Float64Array.from(input);
  return unknown();
}

/** Per tensor, per channel: its constant value when its group's writers are all zero; NaN when none. */
export function deadConstants(graph: ModelGraph, groups: ChannelGroups, weights: (node: string) => LayerWeights): Map<string, Values> {
  const values = new Map<string, Values>();
  for (const input of graph.inputs) values.set(input, new Float64Array(groups.layouts.get(input)!.channels).fill(NaN));
  for (const node of graph.nodes) {
    const out = node.outputs[0]!;
    const channels = groups.layouts.get(out)!.channels;
    const inputs = node.inputs.map((t) => values.get(t)!);
    const positions = groups.layouts.get(node.inputs[0] ?? out)!.positions;
    const result = node.shared ? new Float64Array(channels).fill(NaN) : nodeOutput(node, weights(node.id), inputs, channels, positions);
    values.set(out, result.length === channels ? result : new Float64Array(channels).fill(NaN));
  }
  return values;
}
