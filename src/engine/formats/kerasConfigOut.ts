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

/** Keras 3 constructor arguments per class (Keras 3 rejects unknown keyword arguments). */
const KERAS3_ARGS: Record<string, string[]> = {
  Conv2D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  DepthwiseConv2D: ['kernel_size', 'strides', 'padding', 'depth_multiplier', 'data_format', 'dilation_rate', 'activation', 'use_bias', 'depthwise_initializer', 'bias_initializer', 'depthwise_regularizer', 'bias_regularizer', 'activity_regularizer', 'depthwise_constraint', 'bias_constraint'],
  SeparableConv2D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'depth_multiplier', 'activation', 'use_bias', 'depthwise_initializer', 'pointwise_initializer', 'bias_initializer', 'depthwise_regularizer', 'pointwise_regularizer', 'bias_regularizer', 'activity_regularizer', 'depthwise_constraint', 'pointwise_constraint', 'bias_constraint'],
  Dense: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  BatchNormalization: ['axis', 'momentum', 'epsilon', 'center', 'scale', 'beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'],
  Activation: ['activation'],
  ReLU: ['max_value', 'negative_slope', 'threshold'],
  Softmax: ['axis'],
  MaxPooling2D: ['pool_size', 'strides', 'padding', 'data_format'],
  AveragePooling2D: ['pool_size', 'strides', 'padding', 'data_format'],
  GlobalAveragePooling2D: ['data_format', 'keepdims'],
  GlobalMaxPooling2D: ['data_format', 'keepdims'],
  Flatten: ['data_format'],
  Dropout: ['rate', 'noise_shape', 'seed'],
  Reshape: ['target_shape'],
  Add: [],
  Concatenate: ['axis'],
  ZeroPadding2D: ['padding', 'data_format'],
  Rescaling: ['scale', 'offset'],
};

const MODULE_BY_SUFFIX: [string, string][] = [
  ['_initializer', 'keras.initializers'],
  ['_regularizer', 'keras.regularizers'],
  ['_constraint', 'keras.constraints'],
];

function keras3Object(key: string, value: unknown): unknown {
  const module = MODULE_BY_SUFFIX.find(([suffix]) => key.endsWith(suffix))?.[1];
  if (!module || !isObject(value)) return value;
  return { module, class_name: value['class_name'], config: value['config'] ?? {}, registered_name: null };
}

function keras3LayerConfig(cls: string, config: Json): Json {
  const allowed = KERAS3_ARGS[cls];
  const out: Json = { name: config['name'], trainable: config['trainable'] ?? true, dtype: 'float32' };
  for (const [key, value] of Object.entries(config)) {
    if (key in out || key === 'batch_input_shape') continue;
    if (allowed && !allowed.includes(key)) continue;
    out[key] = keras3Object(key, value);
  }
  return out;
}

function shapeOf(shape: unknown): unknown {
  return Array.isArray(shape) && Array.isArray(shape[0]) ? shape[0] : shape;
}

/** The model as Keras 3 writes config.json (module / registered_name / build_config, args nodes). */
export function keras3Config(model: tf.LayersModel): Json {
  const legacy = keras2Config(model);
  const config = legacy['config'] as Json;
  const functional = legacy['class_name'] === 'Functional';
  const outputShape = (name: string): unknown => shapeOf(model.getLayer(name).outputShape);
  const layers = (config['layers'] as Json[]).map((layer) => {
    const cls = String(layer['class_name']);
    const layerConfig = layer['config'] as Json;
    const name = String(layerConfig['name']);
    const entry: Json = { module: 'keras.layers', class_name: cls, registered_name: null };
    if (cls === 'InputLayer') {
      entry['config'] = { batch_shape: layerConfig['batch_input_shape'], dtype: 'float32', sparse: false, name };
    } else {
      entry['config'] = keras3LayerConfig(cls, layerConfig);
      const tfLayer = functional || model.layers.some((l) => l.name === name) ? model.getLayer(name) : null;
      const inputShapes = tfLayer?.inboundNodes[0]?.inputShapes;
      if (inputShapes) entry['build_config'] = { input_shape: inputShapes };
    }
    if (functional) {
      entry['name'] = name;
      entry['inbound_nodes'] = ((layer['inbound_nodes'] ?? []) as unknown[][][]).map((node) => {
        const tensors = node.map(([source, nodeIndex, tensorIndex]) => ({
          class_name: '__keras_tensor__',
          config: { shape: outputShape(String(source)), dtype: 'float32', keras_history: [source, nodeIndex, tensorIndex] },
        }));
        return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} };
      });
    }
    return entry;
  });
  const inputShape = model.inputs.length === 1 ? model.inputs[0]!.shape : model.inputs.map((t) => t.shape);
  if (!functional) {
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: config['name'], trainable: true, dtype: 'float32', layers },
      registered_name: null,
      build_config: { input_shape: inputShape },
    };
  }
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: config['name'], trainable: true, layers, input_layers: config['input_layers'], output_layers: config['output_layers'] },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}
