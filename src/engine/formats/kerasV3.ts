// Keras 3 `.keras` files: a zip of metadata.json, config.json and model.weights.h5, where each
// layer's variables sit at layers/<name>/vars/<i> (trainable first, then non-trainable — the
// order tfjs uses too). TF-Keras 2.13+ wrote `_layer_checkpoint_dependencies/<name>` instead.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs';
import type { Dataset, Group } from 'h5wasm';
import { EngineFailure } from '../jobs/context';
import type { LoadedModel, ModelFormatHandler, SaveOptions } from './types';
import { layerWeightValues, modelFromTopology, setLayerWeights, type StoredWeight } from './build';
import { modelTopology, parseConfig } from './kerasConfig';
import { keras3Config } from './kerasConfigOut';
import { readZip, writeZip, ZIP_MAGIC } from './zip';
import { h5, readH5, writeDataset } from './h5';
import { writeFilesAtomically } from './atomic';

const LAYER_CONTAINERS = ['layers', '_layer_checkpoint_dependencies'];

/** h5wasm reads and writes real paths only: a private temp file for the duration of `use`. */
async function withTempFile<T>(use: (file: string) => Promise<T>): Promise<T> {
  const file = path.join(os.tmpdir(), `quench-${process.pid}-${randomBytes(6).toString('hex')}.h5`);
  try {
    return await use(file);
  } finally {
    await fs.rm(file, { force: true });
  }
}

function readVars(root: Group): (layer: string) => StoredWeight[] | null {
  return (layerName) => {
    for (const container of LAYER_CONTAINERS) {
      const vars = root.get(`${container}/${layerName}/vars`) as Group | null;
      if (!vars || vars.type !== 'Group') continue;
      const keys = vars.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
      return keys.map((key) => {
        const dataset = vars.get(key) as Dataset;
        return { name: `${layerName}/vars/${key}`, shape: dataset.shape ?? [], values: dataset.value as ArrayLike<number> };
      });
    }
    return null;
  };
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
      await readH5(temp, async (h5file) => setLayerWeights(model, readVars(h5file), file));
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
      out.create_group('vars');
      const layers = out.create_group('layers');
      for (const layer of model.layers) {
        const vars = layers.create_group(layer.name).create_group('vars');
        layerWeightValues(layer).forEach((w, i) => writeDataset(vars, String(i), w.values, w.shape));
      }
    } finally {
      out.close();
    }
    return fs.readFile(temp);
  });
  const encoder = new TextEncoder();
  const metadata = { keras_version: '3.3.3', date_saved: new Date().toISOString().replace('T', '@').slice(0, 19) };
  const archive = writeZip([
    ['metadata.json', encoder.encode(JSON.stringify(metadata))],
    ['config.json', encoder.encode(JSON.stringify(config))],
    ['model.weights.h5', new Uint8Array(weights)],
  ]);
  return writeFilesAtomically([{ path: file, data: archive }], options.protectedFiles);
}

export const kerasV3Format: ModelFormatHandler = {
  id: 'keras-v3',
  extensions: ['.keras'],
  match(file, head) {
    return path.extname(file).toLowerCase() === '.keras' && ZIP_MAGIC.every((b, i) => head[i] === b);
  },
  open: openKerasV3,
  save: saveKerasV3,
};
