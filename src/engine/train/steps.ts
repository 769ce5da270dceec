// What the fast training path computes for each node of the engine graph (src/engine/graph): one
// step per layer call, reading its input tensors by id and writing its output id. A layer class
// outside this table is refused by name, with the graph registry's reason where it has one.
import { EngineFailure } from '../core/errors';
import type { GraphNode, ModelGraph } from '../graph/build';

export type Activation =
  | 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'elu' | 'softmax'
  | 'swish' | 'hardSigmoid' | 'selu' | 'softplus' | 'softsign' | 'gelu' | 'mish';

export type MergeOp = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum' | 'concat';

type Padding = 'same' | 'valid';
type Pair = [number, number];

interface Wiring {
  /** Graph id of the layer (`base/conv1`; a shared layer's calls all name the first): the key of masks, trainLayers and parameters. */
  layer: string;
  /** Tensor ids the step reads, in the layer's input order. */
  inputs: string[];
  /** Tensor id the step writes (the graph node's id). */
  output: string;
}

export type Step = Wiring & (
  | { kind: 'conv'; strides: Pair; padding: Padding; activation: Activation; hasBias: boolean }
  | { kind: 'dense'; activation: Activation; hasBias: boolean }
  | { kind: 'depthwise'; strides: Pair; padding: Padding; multiplier: number; activation: Activation; hasBias: boolean }
  /** Depthwise (weights[0]) then pointwise 1×1 (weights[1], the masked kernel), then bias. */
  | { kind: 'separable'; strides: Pair; padding: Padding; multiplier: number; activation: Activation; hasBias: boolean }
  | { kind: 'batchnorm'; epsilon: number; momentum: number; hasScale: boolean; hasCenter: boolean }
  | { kind: 'activation'; activation: Activation }
  | { kind: 'leakyRelu'; alpha: number }
  | { kind: 'pool'; op: 'max' | 'avg'; size: Pair; strides: Pair; padding: Padding }
  | { kind: 'globalpool'; op: 'max' | 'avg' }
  | { kind: 'flatten' }
  | { kind: 'reshape'; shape: number[] }
  | { kind: 'dropout'; rate: number }
  | { kind: 'pad'; padding: [Pair, Pair] }
  | { kind: 'crop'; cropping: [Pair, Pair] }
  | { kind: 'rescale'; scale: number; offset: number }
  | { kind: 'merge'; op: MergeOp }
);

/** The steps with kernels (the layers masks and default training choices are about). */
export type KernelStep = Extract<Step, { kind: 'conv' | 'dense' | 'depthwise' | 'separable' }>;

export function hasKernel(step: Step): step is KernelStep {
  return step.kind === 'conv' || step.kind === 'dense' || step.kind === 'depthwise' || step.kind === 'separable';
}

const ACTIVATIONS = new Set<string>(['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'softmax', 'swish', 'hardSigmoid', 'selu', 'softplus', 'softsign', 'gelu', 'mish']);
/** Keras spellings of the same functions. */
const ACTIVATION_ALIASES: Record<string, Activation> = { silu: 'swish', hard_sigmoid: 'hardSigmoid' };

const MERGES: Record<string, MergeOp> = {
  Add: 'add', Subtract: 'subtract', Multiply: 'multiply', Average: 'average', Maximum: 'maximum', Minimum: 'minimum', Concatenate: 'concat',
};

function pair(value: unknown, fallback: number): Pair {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1] ?? value[0])];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

/** ZeroPadding2D / Cropping2D amounts: n, [rows, columns] or [[top, bottom], [left, right]]. */
function sides(value: unknown): [Pair, Pair] {
  if (typeof value === 'number') return [[value, value], [value, value]];
  const [rows, columns] = value as unknown[];
  return [pair(rows, 0), pair(columns ?? rows, 0)];
}

/** The graph id every call of a layer shares: a shared layer's later calls end in `#k`. */
export function layerKey(node: GraphNode): string {
  return node.id.replace(/#\d+$/, '');
}

export function stepOf(node: GraphNode, graph: ModelGraph): Step {
  const config = node.layer.getConfig() as Record<string, unknown>;
  const wiring: Wiring = { layer: layerKey(node), inputs: node.inputs, output: node.outputs[0]! };
  const refuse = (why: string): never => {
    throw new EngineFailure('unsupported', `layer "${node.id}" (${node.className}): ${why}`);
  };
  const activation = (value: unknown): Activation => {
    const name = typeof value === 'string' ? (ACTIVATION_ALIASES[value] ?? value) : 'linear';
    return ACTIVATIONS.has(name) ? (name as Activation) : refuse(`activation "${String(value)}" is not supported for fine-tuning`);
  };
  const padding = (): Padding => (config.padding === 'same' || config.padding === 'valid' ? config.padding : refuse(`padding "${String(config.padding)}"`));
  const undilated = () => {
    if (pair(config.dilationRate, 1).some((d) => d !== 1)) refuse('dilated convolutions are not supported');
  };
  const inputRank = (graph.tensor(node.inputs[0]!).shape.length) + 1;
  switch (node.className) {
    case 'Conv2D':
      undilated();
      if (Number(config.groups ?? 1) !== 1) refuse('grouped convolutions are not supported');
      return { ...wiring, kind: 'conv', strides: pair(config.strides, 1), padding: padding(), activation: activation(config.activation), hasBias: config.useBias !== false };
    case 'DepthwiseConv2D':
    case 'SeparableConv2D':
      undilated();
      return {
        ...wiring, kind: node.className === 'DepthwiseConv2D' ? 'depthwise' : 'separable', strides: pair(config.strides, 1), padding: padding(),
        multiplier: Number(config.depthMultiplier ?? 1), activation: activation(config.activation), hasBias: config.useBias !== false,
      };
    case 'Dense':
      return { ...wiring, kind: 'dense', activation: activation(config.activation), hasBias: config.useBias !== false };
    case 'BatchNormalization': {
      const axis = Number(Array.isArray(config.axis) ? config.axis[0] : (config.axis ?? -1));
      if (axis !== -1 && axis !== inputRank - 1) refuse(`BatchNormalization over axis ${axis} (only the channel axis)`);
      return {
        ...wiring, kind: 'batchnorm', epsilon: Number(config.epsilon ?? 1e-3), momentum: Number(config.momentum ?? 0.99),
        hasScale: config.scale !== false, hasCenter: config.center !== false,
      };
    }
    case 'Activation':
      return { ...wiring, kind: 'activation', activation: activation(config.activation) };
    case 'ReLU':
      if (config.maxValue != null && config.maxValue !== 6) refuse('ReLU with a max value other than 6');
      return { ...wiring, kind: 'activation', activation: config.maxValue === 6 ? 'relu6' : 'relu' };
    case 'LeakyReLU':
      return { ...wiring, kind: 'leakyRelu', alpha: Number(config.alpha ?? 0.3) };
    case 'ELU':
      if (Number(config.alpha ?? 1) !== 1) refuse('ELU with alpha other than 1');
      return { ...wiring, kind: 'activation', activation: 'elu' };
    case 'Softmax': {
      const axis = Number(Array.isArray(config.axis) ? config.axis[0] : (config.axis ?? -1));
      if (axis !== -1 && axis !== inputRank - 1) refuse(`Softmax over axis ${axis} (only the last axis)`);
      return { ...wiring, kind: 'activation', activation: 'softmax' };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const size = pair(config.poolSize, 2);
      return {
        ...wiring, kind: 'pool', op: node.className === 'MaxPooling2D' ? 'max' : 'avg', size,
        strides: config.strides == null ? size : pair(config.strides, size[0]), padding: config.padding === 'same' ? 'same' : 'valid',
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      if (config.keepdims === true || config.keepDims === true) refuse('global pooling that keeps the spatial axes');
      return { ...wiring, kind: 'globalpool', op: node.className === 'GlobalMaxPooling2D' ? 'max' : 'avg' };
    case 'Flatten':
      return { ...wiring, kind: 'flatten' };
    case 'Reshape':
      return { ...wiring, kind: 'reshape', shape: (config.targetShape as number[]).map(Number) };
    case 'Dropout':
      return { ...wiring, kind: 'dropout', rate: Number(config.rate ?? 0) };
    case 'ZeroPadding2D':
      return { ...wiring, kind: 'pad', padding: sides(config.padding) };
    case 'Cropping2D':
      return { ...wiring, kind: 'crop', cropping: sides(config.cropping) };
    case 'Rescaling':
      if (typeof config.scale !== 'number' || typeof (config.offset ?? 0) !== 'number') refuse('per-channel rescaling is not supported');
      return { ...wiring, kind: 'rescale', scale: Number(config.scale), offset: Number(config.offset ?? 0) };
    default: {
      const merge = MERGES[node.className];
      if (merge) {
        const axis = Number(config.axis ?? -1);
        if (merge === 'concat' && axis !== -1 && axis !== inputRank - 1) refuse('Concatenate along an axis other than the channels');
        return { ...wiring, kind: 'merge', op: merge };
      }
      const registry = node.capability.role === 'unsupported' && node.capability.reason ? ` (${node.capability.reason})` : '';
      return refuse(`this layer type is not supported for fine-tuning${registry}`);
    }
  }
}
