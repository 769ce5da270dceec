// A LayersModel re-expressed as a plain chain of steps over tensors we own, so training can use
// the fast convolution gradient, hold pruning masks in the forward pass, and choose per layer
// which parameters train. Only chain-shaped models (Sequential or a linear functional graph) of
// the layer types below are supported; anything else is refused with a readable message.
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';
import type { MaskSet } from '../graph/masks';
import type { ConvGeometry } from './convolution';

export type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'elu' | 'softmax';

export type Step =
  | { kind: 'conv'; layer: string; strides: [number, number]; padding: 'same' | 'valid'; activation: Activation; hasBias: boolean }
  | { kind: 'dense'; layer: string; activation: Activation; hasBias: boolean }
  | { kind: 'batchnorm'; layer: string; epsilon: number; momentum: number; hasScale: boolean; hasCenter: boolean }
  | { kind: 'activation'; layer: string; activation: Activation }
  | { kind: 'pool'; layer: string; op: 'max' | 'avg'; size: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }
  | { kind: 'globalpool'; layer: string; op: 'max' | 'avg' }
  | { kind: 'flatten'; layer: string }
  | { kind: 'dropout'; layer: string; rate: number };

export type { ConvGeometry };

const ACTIVATIONS = new Set<Activation>(['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'softmax']);

function activationOf(layer: tf.layers.Layer, value: unknown): Activation {
  const name = (typeof value === 'string' ? value : 'linear') as Activation;
  if (!ACTIVATIONS.has(name)) {
    throw new EngineFailure('unsupported', `layer "${layer.name}": activation "${String(value)}" is not supported for fine-tuning`);
  }
  return name;
}

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1] ?? value[0])];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

function stepOf(layer: tf.layers.Layer): Step | null {
  const config = layer.getConfig() as Record<string, unknown>;
  const name = layer.name;
  const unsupported = (why: string): never => {
    throw new EngineFailure('unsupported', `layer "${name}" (${layer.getClassName()}): ${why}`);
  };
  switch (layer.getClassName()) {
    case 'InputLayer':
      return null;
    case 'Conv2D': {
      if (config.dataFormat === 'channelsFirst') unsupported('channels-first convolutions are not supported');
      if (pair(config.dilationRate, 1).some((d) => d !== 1)) unsupported('dilated convolutions are not supported');
      const padding = config.padding === 'same' ? 'same' : config.padding === 'valid' ? 'valid' : unsupported(`padding "${String(config.padding)}"`);
      return { kind: 'conv', layer: name, strides: pair(config.strides, 1), padding, activation: activationOf(layer, config.activation), hasBias: config.useBias !== false };
    }
    case 'Dense':
      return { kind: 'dense', layer: name, activation: activationOf(layer, config.activation), hasBias: config.useBias !== false };
    case 'BatchNormalization': {
      const axis = Array.isArray(config.axis) ? config.axis[0] : config.axis;
      const rank = layer.inputSpec?.[0]?.ndim ?? (layer.batchInputShape?.length ?? 4);
      if (axis !== -1 && axis !== rank - 1 && axis !== 3 && axis !== 1) unsupported(`BatchNormalization over axis ${String(axis)} (only the channel axis)`);
      return {
        kind: 'batchnorm', layer: name, epsilon: Number(config.epsilon ?? 1e-3), momentum: Number(config.momentum ?? 0.99),
        hasScale: config.scale !== false, hasCenter: config.center !== false,
      };
    }
    case 'Activation':
      return { kind: 'activation', layer: name, activation: activationOf(layer, config.activation) };
    case 'ReLU':
      if (config.maxValue != null && config.maxValue !== 6) unsupported('ReLU with a max value other than 6');
      return { kind: 'activation', layer: name, activation: config.maxValue === 6 ? 'relu6' : 'relu' };
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const size = pair(config.poolSize, 2);
      return {
        kind: 'pool', layer: name, op: layer.getClassName() === 'MaxPooling2D' ? 'max' : 'avg', size,
        strides: config.strides == null ? size : pair(config.strides, size[0]), padding: config.padding === 'same' ? 'same' : 'valid',
      };
    }
    case 'GlobalAveragePooling2D':
      return { kind: 'globalpool', layer: name, op: 'avg' };
    case 'GlobalMaxPooling2D':
      return { kind: 'globalpool', layer: name, op: 'max' };
    case 'Flatten':
      return { kind: 'flatten', layer: name };
    case 'Dropout':
      return { kind: 'dropout', layer: name, rate: Number(config.rate ?? 0) };
    default:
      return unsupported('this layer type is not supported for fine-tuning');
  }
}

/** The model's layers as a chain of steps; refuses branching graphs. */
export function chainOf(model: tf.LayersModel): { layers: tf.layers.Layer[]; steps: Step[] } {
  const layers: tf.layers.Layer[] = [];
  const steps: Step[] = [];
  let previous: tf.layers.Layer | null = null;
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes.flatMap((node) => node.inboundLayers);
    const isInput = layer.getClassName() === 'InputLayer';
    if (!isInput && (inbound.length !== 1 || (previous !== null && inbound[0] !== previous && inbound[0].getClassName() !== 'InputLayer'))) {
      throw new EngineFailure('unsupported', `layer "${layer.name}" does not follow a single previous layer: fine-tuning supports chain-shaped models only`);
    }
    previous = layer;
    const step = stepOf(layer);
    if (step) {
      layers.push(layer);
      steps.push(step);
    }
  }
  return { layers, steps };
}

export function applyActivation(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'elu': return tf.elu(x);
    case 'softmax': return tf.softmax(x);
  }
}

/** Mask tensors keyed by layer name, checked against the kernels they apply to. */
export function maskTensors(layers: tf.layers.Layer[], masks: MaskSet): Map<string, tf.Tensor> {
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const result = new Map<string, tf.Tensor>();
  for (const mask of masks) {
    const layer = byName.get(mask.layer);
    if (!layer) throw new EngineFailure('mismatch', `mask names layer "${mask.layer}", which the model does not have`);
    const kernelShape = layer.getWeights()[0]?.shape ?? [];
    if (kernelShape.join(',') !== mask.shape.join(',') || mask.keep.length !== kernelShape.reduce((a, b) => a * b, 1)) {
      throw new EngineFailure('mismatch', `mask for layer "${mask.layer}" has shape [${mask.shape}], but its kernel is [${kernelShape}]`);
    }
    result.set(mask.layer, tf.tensor(Float32Array.from(mask.keep), mask.shape));
  }
  return result;
}
