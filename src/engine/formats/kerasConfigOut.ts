// tfjs model → Keras configs for writing: Keras 2 `model_config` (h5) and Keras 3 `config.json`.
// tfjs serialises Keras-2-style configs; what Keras would reject is rewritten here.
import type * as tf from '@tensorflow/tfjs';
import { CONTAINER_CLASSES } from './kerasPaths';

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
    // The named initializer Keras itself would write for these arguments, where there is one.
    const named = NAMED_VARIANCE_SCALING[`${String(config['scale'])} ${String(config['mode'])} ${String(distribution)}`];
    if (named) return { class_name: named, config: { seed: config['seed'] ?? null } };
    return { class_name: 'VarianceScaling', config: { ...config, distribution } };
  }
  return value;
}

/** Keras's VarianceScaling presets by `scale mode distribution`. */
const NAMED_VARIANCE_SCALING: Record<string, string> = {
  '1 fan_avg uniform': 'GlorotUniform',
  '1 fan_avg truncated_normal': 'GlorotNormal',
  '2 fan_in uniform': 'HeUniform',
  '2 fan_in truncated_normal': 'HeNormal',
  '1 fan_in uniform': 'LecunUniform',
  '1 fan_in truncated_normal': 'LecunNormal',
};

function rewrite(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v));
  if (!isObject(value)) return value;
  if (key.endsWith('_initializer') && typeof value['class_name'] === 'string') return kerasInitializer(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, k)]));
}

/** Keras 3 writes one tensor, shape or layer reference bare and several as a list. */
function oneOrList(items: unknown[]): unknown {
  return items.length === 1 ? items[0] : items;
}

/** Nested models: tfjs calls a functional model `Model`, Keras 2.13+ and 3 call it `Functional`. */
function kerasClassName(cls: string): string {
  return cls === 'Model' ? 'Functional' : cls;
}

/**
 * A Sequential's layers with an explicit InputLayer first, as Keras writes them (tfjs keeps the
 * input shape on the first layer instead).
 */
function withInputLayer(layers: Json[]): Json[] {
  const first = layers[0]?.['config'] as Json | undefined;
  if (!first || layers[0]!['class_name'] === 'InputLayer' || !first['batch_input_shape']) return layers;
  const input: Json = {
    class_name: 'InputLayer',
    config: { batch_input_shape: first['batch_input_shape'], dtype: 'float32', sparse: false, ragged: false, name: `${String(first['name'])}_input` },
  };
  const rest = [{ ...layers[0]!, config: { ...first } }, ...layers.slice(1)];
  delete (rest[0]!['config'] as Json)['batch_input_shape'];
  return [input, ...rest];
}

/** A tfjs container entry ({class_name, config}) in Keras 2's form, nested models included. */
function keras2Container(entry: Json): Json {
  const config = { ...(entry['config'] as Json) };
  const sequential = entry['class_name'] === 'Sequential';
  const layers = (config['layers'] as Json[]).map((layer) => {
    if (!CONTAINER_CLASSES.has(String(layer['class_name']))) return layer;
    const nested = keras2Container(layer);
    // In a functional parent the entry also carries its own name and inbound nodes.
    return { ...layer, class_name: nested['class_name'], config: nested['config'] };
  });
  config['layers'] = sequential ? withInputLayer(layers) : layers;
  if (!sequential) {
    // A single input or output is written bare, as Keras 3 does: a list of one makes a nested
    // model hand a list to the next layer.
    config['input_layers'] = oneOrList(config['input_layers'] as unknown[]);
    config['output_layers'] = oneOrList(config['output_layers'] as unknown[]);
  }
  return { class_name: kerasClassName(String(entry['class_name'])), config };
}

/**
 * tfjs 4.22's SeparableConv2D.getConfig leaves out depth_multiplier, so a serialised model would
 * come back with multiplier 1: it is restored from the depthwise kernel's shape [kh, kw, C, m].
 */
export function restoreDepthMultipliers(config: Json, model: tf.LayersModel): void {
  for (const entry of (config['layers'] ?? []) as Json[]) {
    const layerConfig = entry['config'] as Json;
    const layer = model.layers.find((l) => l.name === layerConfig['name']);
    if (!layer) continue;
    if (CONTAINER_CLASSES.has(String(entry['class_name']))) restoreDepthMultipliers(layerConfig, layer as tf.LayersModel);
    else if (entry['class_name'] === 'SeparableConv2D') layerConfig['depth_multiplier'] = layer.weights[0]!.shape[3];
  }
}

/** The model's tfjs topology as Keras 2 writes it: explicit InputLayers for Sequentials, `Functional`. */
export function keras2Config(model: tf.LayersModel): Json {
  const json = model.toJSON(null, false) as unknown as Json;
  const config = rewrite(json['config']) as Json;
  restoreDepthMultipliers(config, model);
  return keras2Container({ class_name: json['class_name'], config });
}

/** Keras 3 constructor arguments per class (Keras 3 rejects unknown keyword arguments). */
const KERAS3_ARGS: Record<string, string[]> = {
  Conv2D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  DepthwiseConv2D: ['kernel_size', 'strides', 'padding', 'depth_multiplier', 'data_format', 'dilation_rate', 'activation', 'use_bias', 'depthwise_initializer', 'bias_initializer', 'depthwise_regularizer', 'bias_regularizer', 'activity_regularizer', 'depthwise_constraint', 'bias_constraint'],
  SeparableConv2D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'depth_multiplier', 'activation', 'use_bias', 'depthwise_initializer', 'pointwise_initializer', 'bias_initializer', 'depthwise_regularizer', 'pointwise_regularizer', 'bias_regularizer', 'activity_regularizer', 'depthwise_constraint', 'pointwise_constraint', 'bias_constraint'],
  Dense: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'kernel_constraint', 'bias_constraint'],
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
  Multiply: [],
  Subtract: [],
  Average: [],
  Maximum: [],
  Minimum: [],
  LeakyReLU: ['alpha'],
  Cropping2D: ['cropping', 'data_format'],
  UpSampling2D: ['size', 'data_format', 'interpolation'],
  SpatialDropout2D: ['rate', 'seed'],
  Permute: ['dims'],
};

/** Arguments Keras 3 writes that tfjs has no counterpart for, at the value tfjs computes with. */
const KERAS3_DEFAULTS: Record<string, Json> = {
  Conv2D: { groups: 1 },
  SeparableConv2D: { depth_multiplier: 1 },
  DepthwiseConv2D: { depth_multiplier: 1 },
  BatchNormalization: { synchronized: false, renorm: false, renorm_clipping: null, renorm_momentum: 0.99 },
  ReLU: { negative_slope: 0, threshold: 0 },
  GlobalAveragePooling2D: { keepdims: false },
  GlobalMaxPooling2D: { keepdims: false },
};

/**
 * Layers whose Keras 3 class has a `build` step, so Keras writes their build_config (and needs it
 * to create their variables before loading them).
 */
const KERAS3_BUILT = new Set([
  'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'Dense', 'BatchNormalization', 'LayerNormalization',
  'Rescaling', 'ZeroPadding2D', 'Cropping2D', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate',
]);

/** tfjs argument names that Keras 3 spells differently. */
const KERAS3_RENAMED: Record<string, Record<string, string>> = {
  LeakyReLU: { alpha: 'negative_slope' },
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

/** Keras 3 serialises every layer's dtype as a policy object. */
const FLOAT32_POLICY: Json = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

function keras3LayerConfig(cls: string, config: Json): Json {
  const allowed = KERAS3_ARGS[cls];
  const out: Json = { name: config['name'], trainable: config['trainable'] ?? true, dtype: FLOAT32_POLICY };
  for (const [key, value] of Object.entries(config)) {
    if (key in out || key === 'batch_input_shape') continue;
    if (allowed && !allowed.includes(key)) continue;
    const renamed = KERAS3_RENAMED[cls]?.[key] ?? key;
    out[renamed] = keras3Object(key, value);
  }
  for (const [key, value] of Object.entries(KERAS3_DEFAULTS[cls] ?? {})) if (!(key in out)) out[key] = value;
  return out;
}

/** tfjs gives a layer's shapes as one shape or a list of shapes. */
function shapes(value: unknown): unknown[] {
  return Array.isArray(value) && Array.isArray(value[0]) ? value : [value];
}

/** A Keras 2 form container entry (keras2Container) and its tfjs model → the Keras 3 config.json object. */
function keras3Container(entry: Json, model: tf.LayersModel): Json {
  const config = entry['config'] as Json;
  const functional = entry['class_name'] === 'Functional';
  const layerOf = (name: string): tf.layers.Layer | undefined => model.layers.find((l) => l.name === name);
  const layers = (config['layers'] as Json[]).map((layer) => {
    const cls = String(layer['class_name']);
    const layerConfig = layer['config'] as Json;
    const name = String(layerConfig['name']);
    const tfLayer = layerOf(name);
    let out: Json;
    if (CONTAINER_CLASSES.has(cls)) {
      out = keras3Container(layer, tfLayer as tf.LayersModel);
    } else if (cls === 'InputLayer') {
      out = {
        module: 'keras.layers',
        class_name: cls,
        config: { batch_shape: layerConfig['batch_input_shape'], dtype: 'float32', sparse: false, ragged: false, name, optional: false },
        registered_name: null,
      };
    } else {
      out = { module: 'keras.layers', class_name: cls, config: keras3LayerConfig(cls, layerConfig), registered_name: null };
      const inputShapes = tfLayer?.inboundNodes[0]?.inputShapes;
      const built = KERAS3_BUILT.has(cls) || (tfLayer?.weights.length ?? 0) > 0;
      if (inputShapes && built) out['build_config'] = { input_shape: oneOrList(shapes(inputShapes)) };
    }
    if (functional) {
      out['name'] = name;
      out['inbound_nodes'] = ((layer['inbound_nodes'] ?? []) as unknown[][][]).map((node) => {
        const tensors = node.map(([source, nodeIndex, tensorIndex]) => ({
          class_name: '__keras_tensor__',
          config: {
            shape: shapes(layerOf(String(source))!.outputShape)[Number(tensorIndex)],
            dtype: 'float32',
            keras_history: [source, nodeIndex, tensorIndex],
          },
        }));
        return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} };
      });
    }
    return out;
  });
  if (!functional) {
    const inputs = model.inputs.map((t) => t.shape);
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: config['name'], trainable: model.trainable, dtype: FLOAT32_POLICY, layers },
      registered_name: null,
      build_config: { input_shape: oneOrList(inputs) },
    };
  }
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: config['name'],
      trainable: model.trainable,
      layers,
      input_layers: config['input_layers'],
      output_layers: config['output_layers'],
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}

/** The model as Keras 3 writes config.json (module / registered_name / build_config, args nodes), nested models included. */
export function keras3Config(model: tf.LayersModel): Json {
  return keras3Container(keras2Config(model), model);
}
