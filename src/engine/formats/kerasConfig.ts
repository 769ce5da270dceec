// Keras model configs (Keras 2 `model_config`, Keras 3 `config.json`) → the tfjs-layers topology
// tf.models.modelFromJSON understands. tfjs reads Keras 2 configs natively; what differs is
// normalised here: Keras 3 wrappers (module / registered_name / build_config), dtype policy
// objects, `batch_shape`, inbound nodes as args/kwargs, BatchNormalization axis lists. Options
// tfjs cannot honour are refused by layer name rather than silently mis-computed.
import { EngineFailure } from '../core/errors';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ACTIVATION_ALIASES: Record<string, string> = { silu: 'swish', gelu_approximate: 'gelu_new' };
const TFJS_ACTIVATIONS = new Set([
  'elu', 'hard_sigmoid', 'linear', 'relu', 'relu6', 'selu', 'sigmoid', 'softmax', 'softplus', 'softsign', 'tanh',
  'swish', 'mish', 'gelu', 'gelu_new', 'log_softmax',
]);

/** A dtype string or Keras 3 DTypePolicy object → the variable dtype tfjs uses (float32). */
function plainDtype(dtype: unknown): string | undefined {
  if (dtype === undefined || dtype === null) return undefined;
  const name = typeof dtype === 'string' ? dtype : isObject(dtype) && isObject(dtype['config']) ? dtype['config']['name'] : undefined;
  if (typeof name !== 'string') return 'float32';
  // Mixed-precision policies keep float32 variables; tfjs computes in float32 throughout.
  return name.startsWith('mixed_') ? 'float32' : name;
}

/** Keras class names tfjs spells differently (its LeCun initializers). */
const TFJS_CLASS_NAMES: Record<string, string> = { LecunNormal: 'LeCunNormal', LecunUniform: 'LeCunUniform' };

/** Keras 3 serialised objects ({module, class_name, config, registered_name}) → {class_name, config}. */
function plainObject(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainObject);
  if (!isObject(value)) return value;
  if (typeof value['class_name'] === 'string' && 'config' in value) {
    return { class_name: TFJS_CLASS_NAMES[value['class_name']] ?? value['class_name'], config: plainObject(value['config']) };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainObject(v)]));
}

function refuse(name: string, cls: string, why: string, file: string): never {
  throw new EngineFailure('unsupported', `layer "${name}" (${cls}) is not supported: ${why}`, file);
}

/** One layer's `config` made tfjs-readable; refuses options tfjs would ignore or get wrong. */
function layerConfig(cls: string, raw: Json, file: string): Json {
  const config = plainObject(raw) as Json;
  const name = String(config['name'] ?? '(unnamed)');
  if ('dtype' in raw) config['dtype'] = plainDtype(raw['dtype']);
  if (cls === 'InputLayer') {
    if (config['batch_shape'] !== undefined && config['batch_input_shape'] === undefined) {
      config['batch_input_shape'] = config['batch_shape'];
    }
    delete config['batch_shape'];
    delete config['optional'];
  }
  if (typeof config['activation'] === 'string') {
    const activation = ACTIVATION_ALIASES[config['activation']] ?? config['activation'];
    if (!TFJS_ACTIVATIONS.has(activation)) refuse(name, cls, `activation "${activation}" has no TensorFlow.js equivalent`, file);
    config['activation'] = activation;
  } else if (config['activation'] !== undefined && config['activation'] !== null) {
    refuse(name, cls, 'a custom activation object cannot be loaded', file);
  }
  if ((config['groups'] as number | undefined) !== undefined && config['groups'] !== 1) {
    refuse(name, cls, `grouped convolution (groups=${String(config['groups'])}) is not available in TensorFlow.js`, file);
  }
  delete config['groups'];
  if (config['lora_rank'] !== undefined && config['lora_rank'] !== null) refuse(name, cls, 'LoRA-enabled layers cannot be loaded', file);
  delete config['lora_rank'];
  if (cls === 'BatchNormalization') {
    const axis = config['axis'];
    if (Array.isArray(axis)) {
      if (axis.length !== 1) refuse(name, cls, `normalising over several axes (${JSON.stringify(axis)})`, file);
      config['axis'] = axis[0];
    }
    if (config['renorm']) refuse(name, cls, 'batch renormalisation is not available in TensorFlow.js', file);
    delete config['synchronized'];
  }
  if (cls === 'ReLU' && (Number(config['negative_slope'] ?? 0) !== 0 || Number(config['threshold'] ?? 0) !== 0)) {
    refuse(name, cls, 'negative_slope / threshold other than 0 are not available in TensorFlow.js', file);
  }
  // Keras 3 names LeakyReLU's slope negative_slope; tfjs reads Keras 2's alpha.
  if (cls === 'LeakyReLU' && config['negative_slope'] !== undefined) {
    config['alpha'] = config['negative_slope'];
    delete config['negative_slope'];
  }
  if (/^Global.*Pooling/.test(cls) && config['keepdims'] === true) refuse(name, cls, 'keepdims=True is not available in TensorFlow.js', file);
  return config;
}

/** Keras 3 `{args, kwargs}` nodes → Keras 2 `[[layer, node, tensor, kwargs], ...]` nodes. */
function legacyInboundNodes(nodes: unknown): unknown[] {
  if (!Array.isArray(nodes)) return [];
  return nodes.map((node) => {
    if (Array.isArray(node)) return node;
    const history: unknown[][] = [];
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (isObject(value)) {
        const inner = isObject(value['config']) ? value['config'] : undefined;
        if (value['class_name'] === '__keras_tensor__' && inner && Array.isArray(inner['keras_history'])) {
          const [layer, nodeIndex, tensorIndex] = inner['keras_history'] as unknown[];
          history.push([layer, nodeIndex, tensorIndex, {}]);
        } else Object.values(value).forEach(collect);
      }
    };
    collect(isObject(node) ? node['args'] : node);
    return history;
  });
}

/** `[name, 0, 0]` (a single tensor) or a list of them → always a list of them. */
function tensorList(value: unknown): unknown {
  return Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
}

function layerEntry(layer: Json, functional: boolean, file: string): Json {
  const cls = String(layer['class_name']);
  const nested = cls === 'Sequential' || cls === 'Functional' || cls === 'Model';
  const entry: Json = nested
    ? modelTopology(layer, file)
    : { class_name: cls, config: layerConfig(cls, (layer['config'] ?? {}) as Json, file) };
  if (functional) {
    // Kept as written (even missing): limits/graph.ts refuses an entry without its name.
    entry['name'] = layer['name'];
    entry['inbound_nodes'] = legacyInboundNodes(layer['inbound_nodes']);
  }
  return entry;
}

/**
 * A Keras 2 or Keras 3 model config (the object with `class_name` Sequential / Functional /
 * Model) → a tfjs topology. Unknown classes are left in place for `assertLayersSupported`.
 */
export function modelTopology(keras: Json, file: string): Json {
  const cls = String(keras['class_name']);
  const config = (keras['config'] ?? {}) as Json;
  if (cls === 'Sequential') {
    const layers = (Array.isArray(config) ? config : (config['layers'] as Json[] | undefined)) ?? [];
    const out = layers.map((l) => layerEntry(l, false, file));
    const first = out[0]?.['config'] as Json | undefined;
    const buildShape = (keras['build_config'] as Json | undefined)?.['input_shape'] ?? config['build_input_shape'];
    // A Sequential saved without an InputLayer carries its input shape in build_config.
    if (first && out[0]!['class_name'] !== 'InputLayer' && !first['batch_input_shape'] && Array.isArray(buildShape)) {
      first['batch_input_shape'] = buildShape;
    }
    return { class_name: 'Sequential', config: { name: config['name'] ?? 'sequential', layers: out } };
  }
  if (cls === 'Functional' || cls === 'Model') {
    const layers = ((config['layers'] as Json[] | undefined) ?? []).map((l) => layerEntry(l, true, file));
    return {
      class_name: 'Model',
      config: {
        name: config['name'] ?? 'model',
        layers,
        input_layers: tensorList(config['input_layers']),
        output_layers: tensorList(config['output_layers']),
      },
    };
  }
  throw new EngineFailure('unsupported', `the model class ${cls} is not supported (only Sequential and Functional models)`, file);
}

/** Parses a JSON config string, naming the file when it is not JSON. */
export function parseConfig(text: string, what: string, file: string): Json {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (isObject(parsed)) return parsed;
  } catch {
    // fall through to the error below
  }
  throw new EngineFailure('bad-model', `${what} is not a JSON model config`, file);
}
