// Where Keras 3 keeps each layer's variables in a `.keras` file's model.weights.h5. Keras's saving
// library does not use layer names: it walks `model.layers` (a Sequential's without its
// InputLayer, a Functional's with them), names each child after its class in snake case with a
// per-container counter (conv2d, conv2d_1, ...), and recurses into nested models. The walk here
// follows the model config, whose layer order is the `model.layers` order Keras saves and loads.

type Json = Record<string, unknown>;

export const CONTAINER_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Keras's `naming.to_snake_case`: `Conv2D` → `conv2d`, `BatchNormalization` → `batch_normalization`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** One layer (or nested model) of a config and the h5 group its variables live in. */
export interface KerasObjectPath {
  /** Layer names from the outermost nested model down to this layer. */
  names: string[];
  className: string;
  /** e.g. `layers/functional/layers/conv2d_1` (its variables are at `<path>/vars/<i>`). */
  path: string;
  container: boolean;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The layer entries of a Sequential / Functional config, as a list (Keras 2 Sequential configs are bare lists). */
export function containerLayers(model: Json): Json[] {
  const config = model['config'];
  const listed = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
  return (Array.isArray(listed) ? listed : []).filter(isObject);
}

export function layerName(entry: Json): string {
  const config = entry['config'];
  return String((isObject(config) ? config['name'] : undefined) ?? entry['name'] ?? '');
}

/** Every layer and nested model of a Keras model config with its object path, in Keras's save order. */
export function kerasObjectPaths(model: Json, prefix = '', names: string[] = []): KerasObjectPath[] {
  let layers = containerLayers(model);
  // Keras's Sequential.layers leaves out the InputLayer it keeps at the bottom of its stack.
  if (String(model['class_name']) === 'Sequential' && layers[0]?.['class_name'] === 'InputLayer') layers = layers.slice(1);
  const used = new Map<string, number>();
  return layers.flatMap((layer) => {
    const className = String(layer['class_name']);
    let key = toSnakeCase(className === 'Model' ? 'Functional' : className);
    const count = used.get(key);
    used.set(key, count === undefined ? 0 : count + 1);
    if (count !== undefined) key = `${key}_${count + 1}`;
    const path = `${prefix}layers/${key}`;
    const own = [...names, layerName(layer)];
    const container = CONTAINER_CLASSES.has(className);
    const entry: KerasObjectPath = { names: own, className, path, container };
    return container ? [entry, ...kerasObjectPaths(layer, `${path}/`, own)] : [entry];
  });
}
