// TF.js layers models: model.json (topology + weightsManifest) and its *.bin weight shards.
// Read with our own file access + tf.io.fromMemory, so no tfjs-node file:// handler is needed.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LoadedModel, ModelFormatHandler, SaveOptions } from './types';
import { readModelJson, readWeightShards, shardPaths, splitIntoShards, type TfjsModelJson } from './tfjsManifest';
import { modelTopology } from './kerasConfig';
import { restoreDepthMultipliers } from './kerasConfigOut';
import { buildLayersModel, serializeModel, weightBytes } from './build';
import { assertNotProtected, writeFilesAtomically } from './atomic';
import { readModelMetadata } from './metadata';

const decoder = new TextDecoder();
const QUENCH_VERSION = '0.1.0';

export async function openTfjs(file: string): Promise<LoadedModel> {
  const json = await readModelJson(file);
  const { specs, data } = await readWeightShards(file, json);
  const model = await buildLayersModel(tfjsTopology(json.modelTopology, file), specs, data, file);
  const quantized = [...new Set(specs.filter((s) => s.quantization).map((s) => s.quantization!.dtype))];
  const notes = quantized.length
    ? [`Weights stored quantized (${quantized.join(', ')}) were dequantized to float32 on load.`]
    : [];
  const { notes: metadataNotes, ...names } = await readModelMetadata(file);
  notes.push(...metadataNotes);
  return { model, format: 'tfjs-layers', path: path.resolve(file), files: [path.resolve(file), ...shardPaths(file, json)], notes, ...names };
}

/**
 * The topology in the form tfjs builds from. Converters for Keras 3 models store the Keras 3 config
 * (`batch_shape`, dtype policy objects, args/kwargs inbound nodes) that tfjs cannot read; it is
 * normalised exactly as a `.keras` file's config is. The `model_config` wrapper is kept.
 */
function tfjsTopology(topology: Record<string, unknown>, file: string): Record<string, unknown> {
  const inner = topology['model_config'];
  if (inner && typeof inner === 'object') return { ...topology, model_config: modelTopology(inner as Record<string, unknown>, file) };
  return modelTopology(topology, file);
}

/**
 * Shards are named as tfjs names them (`group1-shard1of1.bin`) when the JSON file is model.json,
 * and prefixed with the JSON file's stem otherwise, so two models in one folder never share shards.
 */
function shardPrefix(jsonPath: string): string {
  const stem = path.basename(jsonPath, path.extname(jsonPath));
  return stem === 'model' ? '' : `${stem}.`;
}

export async function saveTfjs(model: tf.LayersModel, file: string, options: SaveOptions = {}): Promise<string[]> {
  assertNotProtected([file], options.protectedFiles);
  const artifacts = await serializeModel(model);
  const topology = artifacts.modelTopology as Record<string, unknown>;
  restoreDepthMultipliers((topology['config'] ?? {}) as Record<string, unknown>, model);
  const shards = splitIntoShards(weightBytes(artifacts), shardPrefix(file));
  const json: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: `Quench v${QUENCH_VERSION}`,
    modelTopology: topology,
    weightsManifest: [{ paths: shards.map((s) => s.name), weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  const dir = path.dirname(file);
  const previous = await previousShards(file);
  const written = await writeFilesAtomically(
    [...shards.map((s) => ({ path: path.join(dir, s.name), data: s.bytes })), { path: file, data: JSON.stringify(json) }],
    options.protectedFiles,
  );
  // A model saved over an earlier output may need fewer shards: drop the ones nothing references.
  const stale = previous.filter((p) => !written.includes(p) && !(options.protectedFiles ?? []).map((f) => path.resolve(f)).includes(p));
  await Promise.all(stale.map((p) => fs.rm(p, { force: true })));
  return written;
}

async function previousShards(file: string): Promise<string[]> {
  try {
    return shardPaths(file, await readModelJson(file));
  } catch {
    return [];
  }
}

export const tfjsLayersFormat: ModelFormatHandler = {
  id: 'tfjs-layers',
  extensions: ['.json'],
  match(file, head) {
    if (path.extname(file).toLowerCase() !== '.json') return false;
    const text = decoder.decode(head);
    if (text.includes('"graph-model"')) return false;
    return text.includes('"modelTopology"') || text.includes('"layers-model"');
  },
  open: openTfjs,
  save: saveTfjs,
};
