// Turning a tfjs layers topology + weight bytes into a tf.LayersModel, shared by every format:
// unsupported layer classes are named before tfjs gets to throw a less readable error.
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../jobs/context';

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
  const layers = Array.isArray(config.config) ? (config.config as LayerConfigJson[]) : (config.config?.layers ?? []);
  return layers.flatMap((layer) => {
    const className = layer.class_name ?? '(no class_name)';
    const name = layer.config?.name ?? '(unnamed)';
    return CONTAINER_CLASSES.has(className) ? layerClasses(layer) : [{ name, className }];
  });
}

/** Throws EngineFailure('unsupported') for the first layer class tfjs-layers does not know. */
export function assertLayersSupported(config: LayerConfigJson, file: string): void {
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

/** Builds the model and sets its weights from tfjs weight specs + one contiguous buffer. */
export async function buildLayersModel(
  topology: Record<string, unknown>,
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  file: string,
): Promise<tf.LayersModel> {
  assertLayersSupported(modelConfigOf(topology), file);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: specs, weightData: data }));
  } catch (error) {
    if (error instanceof EngineFailure) throw error;
    throw new EngineFailure('bad-model', `cannot build the model: ${(error as Error).message}`, file);
  }
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
