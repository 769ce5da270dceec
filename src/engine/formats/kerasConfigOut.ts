// tfjs model → Keras configs for writing: Keras 2 `model_config` (h5) and Keras 3 `config.json`.
// tfjs serialises Keras-2-style configs; what Keras would reject is rewritten here.
import type * as tf from '@tensorflow/tfjs';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * tfjs writes Glorot/He/LeCun initializers with VarianceScaling's arguments (and 'normal' for
 * truncated normal); Keras accepts those arguments only on VarianceScaling itself.
 */
function kerasInitializer(value: Json): Json {
  const config = (value['config'] ?? {}) as Json;
  if ('mode' in config && 'distribution' in config) {
    const distribution = config['distribution'] === 'normal' ? 'truncated_normal' : config['distribution'];
    return { class_name: 'VarianceScaling', config: { ...config, distribution } };
  }
  return value;
}

function rewrite(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v));
  if (!isObject(value)) return value;
  if (key.endsWith('_initializer') && typeof value['class_name'] === 'string') return kerasInitializer(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, k)]));
}

/** The model's tfjs topology as Keras 2 writes it: explicit InputLayer for Sequential, `Functional`. */
export function keras2Config(model: tf.LayersModel): Json {
  const json = model.toJSON(null, false) as unknown as Json;
  const config = rewrite(json['config']) as Json;
  if (json['class_name'] === 'Sequential') {
    const layers = config['layers'] as Json[];
    const first = layers[0]?.['config'] as Json | undefined;
    if (first && layers[0]!['class_name'] !== 'InputLayer' && first['batch_input_shape']) {
      layers.unshift({
        class_name: 'InputLayer',
        config: { batch_input_shape: first['batch_input_shape'], dtype: 'float32', sparse: false, ragged: false, name: `${String(first['name'])}_input` },
      });
      delete first['batch_input_shape'];
    }
    return { class_name: 'Sequential', config };
  }
  return { class_name: 'Functional', config };
}
