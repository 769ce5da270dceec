// The names Keras and TensorFlow.js give layers built without a `name`, so a constructor in code can
// be matched to a layer of the saved model. Pure.
//   Keras (keras/src/utils/naming.py): to_snake_case(class) then uniquify: `conv2d`, `conv2d_1`, ...
//   tfjs-layers (engine/topology.ts): toSnakeCase(class) + '_' + getUid(class): `conv2d_Conv2D1`, ...
// Both counters live in the process that builds the model; here they run over one file's
// constructors in source order, the order a script that builds one model once executes them.

export type Dialect = 'keras' | 'tfjs';

/** The `name` argument of a constructor: absent, a plain string, or something only a run would know. */
export type NameArgument = { kind: 'none' } | { kind: 'literal'; value: string } | { kind: 'computed' };

/** One layer constructor found in code. Offsets are UTF-16 indices into the file's text. */
export interface LayerCall {
  dialect: Dialect;
  /** The class Keras / tfjs instantiates (aliases resolved): `Conv2D`, `MaxPooling2D`. */
  className: string;
  name: NameArgument;
  /** Inside a loop, a comprehension or a class body: it may run any number of times. */
  repeated: boolean;
  /** The whole call, `layers.Conv2D(...)`. */
  start: number;
  end: number;
}

export interface NamedLayerCall extends LayerCall {
  /** The layer's name in the saved model, when code alone tells it. */
  layerName?: string;
}

/** Keras's `to_snake_case`: `Conv2D` → `conv2d`, `BatchNormalization` → `batch_normalization`, `ReLU` → `re_lu`. */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** tfjs-layers' `toSnakeCase` (digits count as lower case in its first rule). */
export function tfjsSnakeCase(className: string): string {
  const snake = className
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return snake.startsWith('_') ? `private${snake}` : snake;
}

/**
 * Names every constructor the way the framework would: an explicit literal name as written, else
 * the class's auto-name with its counter. A constructor that may repeat (or has a computed name)
 * gets no name; after a repeating one, later auto-names of that class are unknown too.
 */
export function assignLayerNames(calls: readonly LayerCall[]): NamedLayerCall[] {
  const counters = new Map<string, number | 'unknown'>();
  return calls.map((call) => {
    if (call.name.kind === 'literal') return { ...call, layerName: call.name.value };
    if (call.name.kind === 'computed') return { ...call };
    const key = call.dialect === 'keras' ? `keras:${kerasSnakeCase(call.className)}` : `tfjs:${call.className}`;
    const count = counters.get(key) ?? 0;
    if (count === 'unknown') return { ...call };
    if (call.repeated) {
      counters.set(key, 'unknown');
      return { ...call };
    }
    counters.set(key, count + 1);
    return { ...call, layerName: autoName(call.dialect, call.className, count) };
  });
}

/** The auto-name of the `index`-th (0-based) unnamed layer of a class in one process. */
export function autoName(dialect: Dialect, className: string, index: number): string {
  if (dialect === 'tfjs') return `${tfjsSnakeCase(className)}_${className}${index + 1}`;
  const snake = kerasSnakeCase(className);
  return index === 0 ? snake : `${snake}_${index}`;
}

/** keras.layers names that are aliases of another class (Keras 3.15): the class decides the name. */
export const KERAS_CLASS_ALIASES: Readonly<Record<string, string>> = {
  Input: 'InputLayer',
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  AvgPool3D: 'AveragePooling3D',
  Convolution1D: 'Conv1D',
  Convolution1DTranspose: 'Conv1DTranspose',
  Convolution2D: 'Conv2D',
  Convolution2DTranspose: 'Conv2DTranspose',
  Convolution3D: 'Conv3D',
  Convolution3DTranspose: 'Conv3DTranspose',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalAvgPool3D: 'GlobalAveragePooling3D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalMaxPool3D: 'GlobalMaxPooling3D',
  GroupQueryAttention: 'GroupedQueryAttention',
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  MaxPool3D: 'MaxPooling3D',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
};
