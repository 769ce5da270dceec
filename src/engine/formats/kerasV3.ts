// Keras 3 `.keras` files: a zip of metadata.json, config.json and model.weights.h5, where each
// layer's variables sit at its Keras object path, <path>/vars/<i> (kerasPaths.ts; trainable
// first, then non-trainable — the order tfjs uses too). TF-Keras 2.13+ keyed them by layer name
// under `_layer_checkpoint_dependencies/<name>` instead.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs';
import type { Dataset, Group } from 'h5wasm';
import { EngineFailure } from '../core/errors';
import type { LoadedModel, ModelFormatHandler, SaveOptions } from './types';
import { layerWeightValues, modelFromTopology, setLayerWeights, type StoredWeight } from './build';
import { modelTopology, parseConfig } from './kerasConfig';
import { keras3Config } from './kerasConfigOut';
import { readZip, writeZip, ZIP_MAGIC } from './zip';
import { h5, readH5, stringAttr, writeDataset } from './h5';
import { kerasObjectPaths } from './kerasPaths';
import { writeFilesAtomically } from './atomic';

/** h5wasm reads and writes real paths only: a private temp file for the duration of `use`. */
async function withTempFile<T>(use: (file: string) => Promise<T>): Promise<T> {
  const file = path.join(os.tmpdir(), `quench-${process.pid}-${randomBytes(6).toString('hex')}.h5`);
  try {
    return await use(file);
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** Where files keyed by layer name keep a layer's variables (TF-Keras 2.13+, early Keras 3 writers). */
const NAMED_CONTAINERS = ['layers', '_layer_checkpoint_dependencies'];

type Json = Record<string, unknown>;

/**
 * Each layer's variables, found at Keras 3's object path for it (kerasPaths.ts) or, in files that
 * key layers by name, at `<container>/<name>`. Keras 3.x records the layer name on each `vars`
 * group; a group recorded for another layer is never read as this one's.
 */
function readVars(root: Group, config: Json): (names: string[]) => StoredWeight[] | null {
  const objectPaths = new Map(kerasObjectPaths(config).map((p) => [p.names.join('/'), p.path]));
  return (names) => {
    const own = names[names.length - 1]!;
    const byName = names.length === 1 ? NAMED_CONTAINERS.map((container) => `${container}/${own}`) : [];
    for (const at of [objectPaths.get(names.join('/')), ...byName]) {
      const vars = at === undefined ? null : (root.get(`${at}/vars`) as Group | null);
      if (!vars || vars.type !== 'Group') continue;
      const recorded = stringAttr(vars, 'name');
      if (recorded !== null && recorded !== own) continue;
      const keys = vars.keys().filter((k) => /^\d+$/.test(k)).sort((x, y) => Number(x) - Number(y));
      return keys.map((key) => {
        const dataset = vars.get(key) as Dataset;
        return { name: `${at}/vars/${key}`, shape: dataset.shape ?? [], values: dataset.value as ArrayLike<number> };
      });
    }
    return null;
  };
}

/** The group at a slash-separated path, created level by level where missing. */
function groupAt(root: Group, at: string): Group {
  let group = root;
  for (const part of at.split('/')) {
    const existing = group.get(part) as Group | null;
    group = existing && existing.type === 'Group' ? existing : group.create_group(part);
  }
  return group;
}

/** The layer that `names` (nested model names, then the layer's) picks out of the model. */
function layerAt(model: tf.LayersModel, names: string[]): tf.layers.Layer {
  let layer: tf.layers.Layer = model;
  for (const name of names) layer = (layer as tf.LayersModel).getLayer(name);
  return layer;
}

export async function openKerasV3(file: string): Promise<LoadedModel> {
  let data: Uint8Array;
  try {
    data = await fs.readFile(file);
  } catch (error) {
    throw new EngineFailure('io', `cannot read the file: ${(error as Error).message}`, file);
  }
  const entries = readZip(data, file);
  const configBytes = entries.get('config.json');
  if (!configBytes) throw new EngineFailure('bad-model', 'is a zip without config.json, so it is not a Keras 3 model', file);
  const weights = entries.get('model.weights.h5');
  if (!weights) throw new EngineFailure('bad-model', 'has no model.weights.h5 (Quench needs the weights)', file);
  const config = parseConfig(new TextDecoder().decode(configBytes), 'config.json', file);
  const model = await modelFromTopology(modelTopology(config, file), file);
  try {
    await withTempFile(async (temp) => {
      await fs.writeFile(temp, weights);
      await readH5(temp, async (h5file) => setLayerWeights(model, readVars(h5file, config), file, true));
    });
  } catch (error) {
    model.dispose();
    if (error instanceof EngineFailure) throw new EngineFailure(error.code, error.message.replace(`${error.file ?? ''}: `, ''), file);
    throw error;
  }
  return { model, format: 'keras-v3', path: path.resolve(file), files: [path.resolve(file)] };
}

export async function saveKerasV3(model: tf.LayersModel, file: string, options: SaveOptions = {}): Promise<string[]> {
  const config = keras3Config(model);
  const weights = await withTempFile(async (temp) => {
    const lib = await h5();
    const out = new lib.File(temp, 'w');
    try {
      // Keras writes a vars group (named after its owner) for the model and every layer, weighted or not.
      out.create_group('vars').create_attribute('name', model.name);
      for (const object of kerasObjectPaths(config)) {
        const layer = layerAt(model, object.names);
        const vars = groupAt(out, `${object.path}/vars`);
        vars.create_attribute('name', layer.name);
        if (object.container) continue;
        layerWeightValues(layer).forEach((w, i) => writeDataset(vars, String(i), w.values, w.shape));
      }
    } finally {
      out.close();
    }
    return fs.readFile(temp);
  });
  const encoder = new TextEncoder();
  const metadata = { keras_version: KERAS3_VERSION, date_saved: new Date().toISOString().replace('T', '@').slice(0, 19) };
  const archive = writeZip([
    ['metadata.json', encoder.encode(JSON.stringify(metadata))],
    ['config.json', encoder.encode(JSON.stringify(config))],
    ['model.weights.h5', new Uint8Array(weights)],
  ]);
  return writeFilesAtomically([{ path: file, data: archive }], options.protectedFiles);
}

/** The Keras version whose `.keras` layout this writer reproduces (and the Keras tier loads). */
const KERAS3_VERSION = '3.15.1';

export const kerasV3Format: ModelFormatHandler = {
  id: 'keras-v3',
  extensions: ['.keras'],
  match(file, head) {
    return path.extname(file).toLowerCase() === '.keras' && ZIP_MAGIC.every((b, i) => head[i] === b);
  },
  open: openKerasV3,
  save: saveKerasV3,
};
