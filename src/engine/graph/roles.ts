// The layer-capability registry (METHOD.md §15.1): what each layer class means to SFP, AFCC, the
// baselines and structured removal. Every part of the engine asks here; a layer this registry
// does not know is refused by name with the reason, never skipped silently.
import type * as tf from '@tensorflow/tfjs';

export type Role =
  /** A kernel mixing in-channels into out-channels: Conv2D, Dense, SeparableConv2D's pointwise half. */
  | 'mixing'
  /** Keeps channel identity: BatchNorm, activations, pooling, padding, DepthwiseConv2D, ... */
  | 'channel-preserving'
  /** Combines tensors: Add (aligned channels), Concatenate (channels at offsets), Multiply. */
  | 'merge'
  /** Maps a [H, W, C] map to a vector whose index still names a channel: Flatten, global pooling. */
  | 'flatten'
  /** A Softmax layer after the classifier. */
  | 'softmax'
  | 'input'
  | 'unsupported';

export interface Capability {
  role: Role;
  /** Why a layer is refused (role 'unsupported'), or why it cannot be pruned although known. */
  reason?: string;
  /** DepthwiseConv2D / SeparableConv2D: out-channel c·m + j comes from in-channel c. */
  depthMultiplier?: number;
}

const CHANNEL_PRESERVING = new Set([
  'BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'ThresholdedReLU',
  'MaxPooling2D', 'AveragePooling2D', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'ZeroPadding2D', 'Cropping2D', 'Rescaling', 'UpSampling2D',
]);
const MERGES = new Set(['Add', 'Subtract', 'Maximum', 'Minimum', 'Average', 'Multiply', 'Concatenate']);
const FLATTENS = new Set(['Flatten', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D']);

type Config = Record<string, unknown>;

function pair(value: unknown): number[] {
  return Array.isArray(value) ? value.map(Number) : [Number(value ?? 1), Number(value ?? 1)];
}

function product(dims: readonly (number | null)[]): number {
  return dims.reduce<number>((a, b) => a * (b ?? 1), 1);
}

/** A Reshape that only flattens ([H, W, C] → [H·W·C]) or only adds/removes unit axes around the channels. */
function reshapeRole(inShape: readonly (number | null)[], target: readonly number[]): Capability {
  const inner = inShape.slice(1);
  if (target.length === 1 && target[0] === product(inner)) return { role: 'flatten' };
  const channels = inner[inner.length - 1];
  const squeezed = (dims: readonly (number | null)[]): (number | null)[] => dims.filter((d) => d !== 1);
  if (target[target.length - 1] === channels && JSON.stringify(squeezed(inner)) === JSON.stringify(squeezed(target))) {
    return { role: 'channel-preserving' };
  }
  return { role: 'unsupported', reason: `Reshape to [${target.join(', ')}] moves values between channels` };
}

/** The capability of one layer, from its class and config. */
export function capabilityOf(layer: tf.layers.Layer, inShape: readonly (number | null)[]): Capability {
  const cls = layer.getClassName();
  const config = layer.getConfig() as Config;
  if (config['dataFormat'] === 'channelsFirst') return { role: 'unsupported', reason: 'channels-first layers are not supported (NHWC only)' };
  if (cls === 'InputLayer') return { role: 'input' };
  if (cls === 'Conv2D' || cls === 'Dense') return { role: 'mixing' };
  if (cls === 'SeparableConv2D') return { role: 'mixing', depthMultiplier: Number(config['depthMultiplier'] ?? 1) };
  if (cls === 'DepthwiseConv2D') return { role: 'channel-preserving', depthMultiplier: Number(config['depthMultiplier'] ?? 1) };
  if (cls === 'Softmax') return { role: 'softmax' };
  if (CHANNEL_PRESERVING.has(cls)) return { role: 'channel-preserving' };
  if (MERGES.has(cls)) {
    if (cls === 'Concatenate' && ![-1, inShape.length - 1].includes(Number(config['axis'] ?? -1))) {
      return { role: 'unsupported', reason: 'Concatenate along an axis other than the channels' };
    }
    return { role: 'merge' };
  }
  if (FLATTENS.has(cls)) return { role: 'flatten' };
  if (cls === 'Reshape') return reshapeRole(inShape, pair(config['targetShape']));
  const why = cls === 'Lambda' || cls === 'TFOpLambda' ? 'Lambda layers hold code Quench does not run' : 'no pruning rule for this layer class';
  return { role: 'unsupported', reason: why };
}
