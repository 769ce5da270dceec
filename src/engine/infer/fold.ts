// Inference-only copy of a Sequential model for the forward passes of evaluation and analysis:
// every Conv2D → BatchNormalization pair folded into one convolution (W' = W·γ/√(σ²+ε),
// b' = (b − μ)·γ/√(σ²+ε) + β), and a plain ReLU right after a linear convolution fused into it (the
// wasm backend runs conv + bias + ReLU as one XNNPACK operator). BatchNorm was ~20% of the example
// model's forward time on wasm; the copy computes the same values up to float rounding (softmax
// outputs within ~1e-6). The user's model is never changed.
import * as tf from '@tensorflow/tfjs';

export interface FoldedModel {
  model: tf.LayersModel;
  /** Layer name in the folded model for a layer name of the original (a folded layer → its conv). */
  layerName(original: string): string;
  dispose(): void;
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

export interface FoldOptions {
  /**
   * Layers whose own output must stay observable in the copy (feature cuts): a ReLU is not fused
   * into a convolution when the pre-activation output (the conv or its BatchNorm) is one of them.
   */
  observe?: Iterable<string>;
}

/** The folded copy, or null when there is nothing to fold or the model is not a plain Sequential. */
export async function foldForInference(model: tf.LayersModel, options: FoldOptions = {}): Promise<FoldedModel | null> {
  if (model.getClassName() !== 'Sequential') return null;
  const observed = new Set(options.observe ?? []);
  const topology = model.toJSON(null, false) as unknown as { config: { layers: LayerJson[] } };
  const configs = topology.config.layers;
  const layers = model.layers;
  if (configs.length !== layers.length) return null;
  const keep: LayerJson[] = [];
  const weights = new Map<string, tf.Tensor[]>();
  const renamed = new Map<string, string>();
  const created: tf.Tensor[] = [];
  try {
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      if (layer.getClassName() !== 'Conv2D' || !linear(configs[i]) || configs[i].config['data_format'] === 'channels_first') {
        keep.push(configs[i]);
        weights.set(layer.name, layer.getWeights());
        continue;
      }
      const convClass = configs[i].class_name;
      let config = configs[i].config;
      let convWeights = layer.getWeights();
      let last = layer; // the layer whose output the folded conv now produces
      const bn = layers[i + 1];
      if (bn && foldableBatchNorm(bn, configs[i + 1])) {
        const [kernel, bias] = foldedWeights(layer, bn);
        created.push(kernel, bias);
        convWeights = [kernel, bias];
        config = { ...config, use_bias: true };
        renamed.set(bn.name, layer.name);
        last = bn;
        i++;
      }
      const activation = layers[i + 1];
      if (activation && plainRelu(configs[i + 1]) && !observed.has(last.name) && !observed.has(layer.name)) {
        config = { ...config, activation: 'relu' };
        renamed.set(activation.name, layer.name);
        i++;
      }
      keep.push({ class_name: convClass, config });
      weights.set(layer.name, convWeights);
    }
    if (renamed.size === 0) return null;
    const folded = await tf.models.modelFromJSON({ modelTopology: { ...topology, config: { ...topology.config, layers: keep } } as unknown as tf.io.ModelJSON['modelTopology'] });
    for (const l of folded.layers) l.setWeights(weights.get(l.name) ?? []);
    return { model: folded, layerName: (name) => renamed.get(name) ?? name, dispose: () => folded.dispose() };
  } finally {
    created.forEach((t) => t.dispose());
  }
}

function linear(json: LayerJson): boolean {
  return (json.config['activation'] ?? 'linear') === 'linear';
}

function foldableBatchNorm(bn: tf.layers.Layer, json: LayerJson): boolean {
  if (bn.getClassName() !== 'BatchNormalization') return false;
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

function foldedWeights(conv: tf.layers.Layer, bn: tf.layers.Layer): [tf.Tensor, tf.Tensor] {
  const config = bn.getConfig() as { center?: boolean; scale?: boolean; epsilon?: number };
  const bnWeights = bn.getWeights();
  let k = 0;
  const gamma = config.scale === false ? null : bnWeights[k++];
  const beta = config.center === false ? null : bnWeights[k++];
  const mean = bnWeights[k++];
  const variance = bnWeights[k++];
  const [kernel, bias] = conv.getWeights();
  return tf.tidy(() => {
    let factor = tf.rsqrt(tf.add(variance, config.epsilon ?? 1e-3));
    if (gamma) factor = tf.mul(factor, gamma);
    const w = tf.mul(kernel, factor); // broadcast over the output channels (last axis)
    let b = tf.mul(tf.sub(bias ?? tf.zerosLike(mean), mean), factor);
    if (beta) b = tf.add(b, beta);
    return [w, b];
  });
}
