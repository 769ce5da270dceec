// Turning a tfjs layers topology + weight bytes into a tf.LayersModel, shared by every format:
// unsupported layer classes are named before tfjs gets to throw a less readable error.
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';
import { assertGraphWellFormed } from '../limits/graph';
import { assertWeightNamesValid } from '../limits/names';

interface LayerConfigJson {
  class_name?: string;
  config?: { name?: string; layers?: LayerConfigJson[] } & Record<string, unknown>;
}

const CONTAINER_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** The model config inside a topology: either the topology itself or its `model_config`. */
export function modelConfigOf(topology: Record<string, unknown>): LayerConfigJson {
  const inner = topology['model_config'];
  return (inner && typeof inner === 'object' ? inner : topology) as LayerConfigJson;
}

/** Every (name, class) of the config's layers, nested models included. */
export function layerClasses(config: LayerConfigJson): { name: string; className: string }[] {
  const listed = Array.isArray(config.config) ? (config.config as unknown[]) : config.config?.layers;
  // A damaged config may hold anything where the layer list belongs; what is not a list has no layers.
  const layers = (Array.isArray(listed) ? listed : []).filter((l): l is LayerConfigJson => typeof l === 'object' && l !== null);
  return layers.flatMap((layer) => {
    const className = layer.class_name ?? '(no class_name)';
    const name = layer.config?.name ?? '(unnamed)';
    return CONTAINER_CLASSES.has(className) ? layerClasses(layer) : [{ name, className }];
  });
}

/** Throws EngineFailure('unsupported') for the first layer class tfjs-layers does not know. */
export function assertLayersSupported(config: LayerConfigJson, file: string): void {
  // tfjs hangs on dangling or cyclic Functional graphs; refuse those first.
  assertGraphWellFormed(config, file);
  assertWeightNamesValid(config, file);
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const { name, className } of layerClasses(config)) {
    if (!(className in known)) {
      const why =
        className === 'Lambda' || className === 'TFOpLambda'
          ? 'Lambda layers hold Python code, which Quench never runs'
          : 'TensorFlow.js has no implementation of this layer class (custom objects are not loaded)';
      throw new EngineFailure('unsupported', `layer "${name}" (${className}) is not supported: ${why}`, file);
    }
  }
}

/**
 * Builds the model and sets its weights from tfjs weight specs + one contiguous buffer. Two steps
 * rather than tf.loadLayersModel, which drops its half-built model and decoded weights without
 * disposing them when the weights do not fit the layers (about 2 tensors per weight per failure).
 */
export async function buildLayersModel(
  topology: Record<string, unknown>,
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  file: string,
): Promise<tf.LayersModel> {
  const model = await modelFromTopology(topology, file);
  try {
    // tidy frees the weights decoded so far when decoding throws part-way.
    const named = tf.tidy(() => tf.io.decodeWeights(data, specs));
    try {
      model.loadWeights(byModelWeightNames(named, model), true);
    } finally {
      tf.dispose(Object.values(named));
    }
  } catch (error) {
    model.dispose();
    if (error instanceof EngineFailure) throw error;
    throw new EngineFailure('bad-model', `cannot build the model: ${(error as Error).message}`, file);
  }
  return model;
}

/** tfjs's weight names where Keras 3 names a variable differently (DepthwiseConv2D's `kernel`). */
const TFJS_WEIGHT_ALIASES: Record<string, string> = { kernel: 'depthwise_kernel' };

/**
 * Weight names as the model knows them. Converters for Keras 3 name a weight by its variable path,
 * which carries the enclosing models' names (`sequential/conv2d/kernel` for tfjs's
 * `conv2d/kernel`) and Keras 3's variable name (a DepthwiseConv2D's `kernel` is tfjs's
 * `depthwise_kernel`). A name the model does not know is matched by its trailing path segments,
 * then by the alias of its last one, where the model has that weight and no stored weight claims it.
 */
export function byModelWeightNames(named: tf.NamedTensorMap, model: tf.LayersModel): tf.NamedTensorMap {
  const known = new Set(model.weights.map((w) => w.originalName));
  const claimable = (candidate: string): boolean => known.has(candidate) && !(candidate in named);
  const out: tf.NamedTensorMap = {};
  for (const [name, tensor] of Object.entries(named)) {
    let target = name;
    if (!known.has(name)) {
      const parts = name.split('/');
      const alias = TFJS_WEIGHT_ALIASES[parts[parts.length - 1]!];
      search: for (let drop = 0; drop < parts.length - 1; drop++) {
        const tail = parts.slice(drop);
        const candidates = [tail.join('/'), ...(alias ? [[...tail.slice(0, -1), alias].join('/')] : [])];
        for (const candidate of candidates) {
          if (claimable(candidate)) {
            target = candidate;
            break search;
          }
        }
      }
    }
    out[target] = tensor;
  }
  return out;
}

/** The model's topology and weights as tfjs serialises them (weights in getWeights() order). */
export async function serializeModel(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new Error('tfjs produced no model artifacts');
  return captured;
}

/** tfjs may hand weight data as one buffer or several; always one byte view. */
export function weightBytes(artifacts: tf.io.ModelArtifacts): Uint8Array {
  const data = artifacts.weightData;
  if (!data) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** Names of the tf variables alive now (layer weights are registered variables). */
function variableNames(): Set<string> {
  return new Set(Object.keys(tf.engine().state.registeredVariables));
}

/**
 * Builds an unweighted model from a tfjs topology (weights are set afterwards per layer). When
 * tfjs throws part-way, the layers it already built keep their weight variables, and layers not
 * connected to the outputs are never part of the model: both are disposed here, or they leak.
 */
export async function modelFromTopology(topology: Record<string, unknown>, file: string): Promise<tf.LayersModel> {
  assertLayersSupported(modelConfigOf(topology), file);
  const before = variableNames();
  // modelFromJSON builds every layer synchronously before its first await, so the variables
  // created between these two lines are this model's, even with other jobs running.
  const building = tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
  const created = [...variableNames()].filter((name) => !before.has(name));
  const disposeCreated = (keep: Set<string>): void => {
    const registered = tf.engine().state.registeredVariables;
    for (const name of created) if (!keep.has(name)) registered[name]?.dispose();
  };
  let model: tf.LayersModel;
  try {
    model = await building;
  } catch (error) {
    disposeCreated(new Set());
    throw new EngineFailure('bad-model', `cannot build the model from its config: ${(error as Error).message}`, file);
  }
  disposeCreated(new Set(model.weights.map((w) => w.name)));
  releaseSharedLayerRefs(model);
  return model;
}

/**
 * tfjs counts a reference per call of a layer, and model.dispose() drops one: a layer the config
 * calls twice (a shared layer), or a nested model (counted once when built and once per call),
 * would keep its weights forever after the model is disposed. A model read from a file owns all
 * its layers, so every layer and nested model, at any depth, gets the one reference of its owner.
 */
function releaseSharedLayerRefs(model: tf.LayersModel): void {
  // Container.dispose disposes a nested model twice, once as a layer and once as an internal
  // container reference, so such a model keeps one reference for each.
  const internal = (model as unknown as { internalContainerRefs?: tf.LayersModel[] }).internalContainerRefs ?? [];
  for (const layer of model.layers) {
    const counted = layer as unknown as { _refCount: number | null };
    const owned = 1 + (internal.includes(layer as tf.LayersModel) ? 1 : 0);
    if (typeof counted._refCount === 'number' && counted._refCount > owned) counted._refCount = owned;
    if (layer instanceof tf.LayersModel) releaseSharedLayerRefs(layer);
  }
}

/** One stored weight array: its values (any numeric typed array) and shape. */
export interface StoredWeight {
  name: string;
  shape: number[];
  values: ArrayLike<number>;
}

/** A layer and the names of the nested models that hold it, outermost first, ending with its own. */
export interface NamedLayer {
  names: string[];
  layer: tf.layers.Layer;
}

/** Every layer of the model; with `nested`, the layers inside nested models instead of those models. */
export function modelLayers(model: tf.LayersModel, nested: boolean, names: string[] = []): NamedLayer[] {
  return model.layers.flatMap((layer) =>
    nested && layer instanceof tf.LayersModel
      ? modelLayers(layer, true, [...names, layer.name])
      : [{ names: [...names, layer.name], layer }],
  );
}

/**
 * Sets every weighted layer's weights from `stored(names)`, in the layer's own weight order
 * (which Keras and tfjs share: kernel, bias; gamma, beta, moving mean, moving variance; ...).
 * With `nested`, layers inside nested models are set one by one (Keras 3 stores them so);
 * otherwise a nested model takes all its weights at once (the Keras 2 HDF5 layout).
 * Counts and shapes are checked so a mismatch is reported, never loaded silently.
 */
export function setLayerWeights(
  model: tf.LayersModel,
  stored: (names: string[]) => StoredWeight[] | null,
  file: string,
  nested = false,
): void {
  for (const { names, layer } of modelLayers(model, nested)) {
    if (layer.weights.length === 0) continue;
    const label = names.join('/');
    const weights = stored(names);
    if (!weights) throw new EngineFailure('bad-model', `has no weights for layer "${label}"`, file);
    if (weights.length !== layer.weights.length) {
      throw new EngineFailure(
        'bad-model',
        `layer "${label}" needs ${layer.weights.length} weights but the file has ${weights.length}`,
        file,
      );
    }
    const tensors = weights.map((w, i) => {
      const expected = layer.weights[i]!.shape;
      if (w.shape.length !== expected.length || w.shape.some((d, k) => d !== expected[k])) {
        throw new EngineFailure(
          'bad-model',
          `weight ${w.name} of layer "${label}" has shape [${w.shape.join(', ')}] but the layer needs [${expected.join(', ')}]`,
          file,
        );
      }
      return tf.tensor(Float32Array.from(w.values), w.shape, 'float32');
    });
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
}

/** `layer/kernel` as tfjs names it → the per-layer order Keras expects, with tfjs shapes and values. */
export function layerWeightValues(layer: tf.layers.Layer): { name: string; shape: number[]; values: Float32Array }[] {
  return layer.weights.map((w) => ({
    name: w.originalName,
    shape: w.shape as number[],
    values: w.read().dataSync() as Float32Array,
  }));
}
