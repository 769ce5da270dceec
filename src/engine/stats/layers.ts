// Per-layer statistics: parameters (trainable / not), exact zeros, sparsity, filters or units,
// and multiply-accumulates for one input sample.
import type * as tf from '@tensorflow/tfjs';
import type { LayerStats } from '../../protocol/report';

type Shape = (number | null)[];

/** Layers that do no multiply-accumulate work worth counting: their MACs are 0 by definition. */
const ZERO_MAC_CLASSES = new Set([
  'InputLayer', 'BatchNormalization', 'LayerNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU',
  'ThresholdedReLU', 'Softmax', 'MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D', 'AveragePooling2D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'Flatten',
  'Dropout', 'SpatialDropout1D', 'GaussianDropout', 'AlphaDropout', 'GaussianNoise', 'Reshape', 'Permute',
  'Add', 'Concatenate', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract', 'ZeroPadding2D', 'Cropping2D',
  'UpSampling2D', 'Rescaling', 'CenterCrop', 'Resizing', 'RepeatVector', 'Masking',
]);

/** A layer with several outputs (or inputs) reports a list of shapes; the first one stands for it. */
function firstShape(shape: tf.Shape | tf.Shape[]): Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
}

function product(dims: Shape): number {
  return dims.reduce<number>((a, b) => a * (b ?? 1), 1);
}

function countZeros(weights: tf.LayerVariable[]): number {
  let zeros = 0;
  for (const w of weights) {
    // read() returns the variable itself: never dispose it.
    const values = w.read().dataSync();
    for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  }
  return zeros;
}

function sizeOf(weights: tf.LayerVariable[]): number {
  return weights.reduce((sum, w) => sum + product(w.shape), 0);
}

interface Work {
  filters: number | null;
  /** null: the class is not one Quench knows how to count. */
  macs: number | null;
}

function layerWork(layer: tf.layers.Layer): Work {
  const cls = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  const inShape = firstShape(layer.inboundNodes[0]?.inputShapes ?? []);
  const outShape = firstShape(layer.outputShape);
  const kernel = (config['kernel_size'] ?? config['kernelSize']) as number[] | number | undefined;
  const kernelArea = Array.isArray(kernel) ? kernel.reduce((a, b) => a * b, 1) : (kernel ?? 1);
  const inChannels = inShape[inShape.length - 1] ?? 0;
  const outSpatial = product(outShape.slice(1, -1));
  switch (cls) {
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D': {
      const filters = config['filters'] as number;
      const groups = (config['groups'] as number | undefined) ?? 1;
      return { filters, macs: outSpatial * kernelArea * (inChannels / groups) * filters };
    }
    case 'Conv2DTranspose': {
      // Each input position scatters a kernel-sized patch for every output filter.
      const filters = config['filters'] as number;
      return { filters, macs: product(inShape.slice(1, -1)) * kernelArea * inChannels * filters };
    }
    case 'DepthwiseConv2D': {
      const multiplier = (config['depth_multiplier'] ?? config['depthMultiplier'] ?? 1) as number;
      return { filters: inChannels * multiplier, macs: outSpatial * kernelArea * inChannels * multiplier };
    }
    case 'SeparableConv2D': {
      const multiplier = (config['depth_multiplier'] ?? config['depthMultiplier'] ?? 1) as number;
      const filters = config['filters'] as number;
      const depthwise = outSpatial * kernelArea * inChannels * multiplier;
      return { filters, macs: depthwise + outSpatial * inChannels * multiplier * filters };
    }
    case 'Dense': {
      const units = config['units'] as number;
      // Dense on a rank>2 input applies to every leading position.
      return { filters: units, macs: product(inShape.slice(1, -1)) * inChannels * units };
    }
    default:
      return { filters: null, macs: ZERO_MAC_CLASSES.has(cls) ? 0 : null };
  }
}

function statsOf(layer: tf.layers.Layer, path: string[]): LayerStats {
  const params = sizeOf(layer.weights);
  const zeros = countZeros(layer.weights);
  const work = layerWork(layer);
  const stats: LayerStats = {
    name: [...path, layer.name].join('/'),
    className: layer.getClassName(),
    outputShape: firstShape(layer.outputShape),
    params,
    trainableParams: layer.trainable ? sizeOf(layer.trainableWeights) : 0,
    zeros,
    sparsity: params === 0 ? 0 : zeros / params,
    filters: work.filters,
    macs: work.macs ?? 0,
    analysable: work.macs !== null,
  };
  if (work.macs === null) stats.note = `MACs are not counted for ${stats.className} layers; parameters and zeros are`;
  return stats;
}

function isContainer(layer: tf.layers.Layer): layer is tf.LayersModel & tf.layers.Layer {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

/**
 * One entry per layer, in model order; layers of nested models are listed in place of the model,
 * named by their graph id (`base/conv1`: the nested models' names, then the layer's).
 */
export function layerStats(model: tf.LayersModel, path: string[] = []): LayerStats[] {
  return model.layers.flatMap((layer) => (isContainer(layer) ? layerStats(layer, [...path, layer.name]) : [statsOf(layer, path)]));
}
