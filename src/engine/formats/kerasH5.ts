// Keras 2 whole-model HDF5 files (`model.save('net.h5')`), read and written with h5wasm:
// root attrs keras_version / backend / model_config (JSON); group model_weights with attr
// layer_names, one group per layer with attr weight_names, datasets at <layer>/<weight name>.
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Group, Dataset, File as H5File } from 'h5wasm';
import { EngineFailure } from '../core/errors';
import type { LoadedModel, ModelFormatHandler, SaveOptions } from './types';
import { layerWeightValues, modelFromTopology, setLayerWeights, type StoredWeight } from './build';
import { modelTopology, parseConfig } from './kerasConfig';
import { keras2Config } from './kerasConfigOut';
import { writeViaTempPath } from './atomic';
import { h5, readH5, stringList, stringAttr, writeDataset } from './h5';

export const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5 files start with the signature at 0, or at 512, 1024, 2048 after a user block. */
export function isHdf5(head: Uint8Array): boolean {
  return [0, 512, 1024, 2048].some((at) => HDF5_MAGIC.every((b, i) => head[at + i] === b));
}

/** Reads a Keras 2 weights group (`model_weights`, or a save_weights file's root) per layer. */
export function readKeras2Weights(group: Group): (layer: string) => StoredWeight[] | null {
  return (layerName) => {
    const layerGroup = group.get(layerName) as Group | null;
    if (!layerGroup || layerGroup.type !== 'Group') return null;
    return stringList(layerGroup, 'weight_names').map((weightName) => {
      const dataset = layerGroup.get(weightName) as Dataset | null;
      if (!dataset || dataset.type !== 'Dataset') {
        throw new EngineFailure('bad-model', `weight ${weightName} of layer "${layerName}" is listed but missing`);
      }
      return { name: weightName, shape: dataset.shape ?? [], values: dataset.value as ArrayLike<number> };
    });
  };
}

export async function openKerasH5(file: string): Promise<LoadedModel> {
  const model = await readH5(file, async (h5file: H5File) => {
    const configText = stringAttr(h5file, 'model_config');
    if (configText === null) {
      const why =
        stringAttr(h5file, 'layer_names') !== null || h5file.attrs['layer_names']
          ? 'holds weights only (saved with save_weights); Quench needs a whole model saved with model.save()'
          : 'is an HDF5 file but not a Keras model (it has no model_config attribute)';
      throw new EngineFailure('bad-model', why, file);
    }
    const topology = modelTopology(parseConfig(configText, 'the model_config attribute', file), file);
    const weightsGroup = h5file.get('model_weights') as Group | null;
    if (!weightsGroup || weightsGroup.type !== 'Group') {
      throw new EngineFailure('bad-model', 'has a model_config but no model_weights group', file);
    }
    const built = await modelFromTopology(topology, file);
    try {
      const read = readKeras2Weights(weightsGroup);
      setLayerWeights(built, ([name]) => read(name!), file);
    } catch (error) {
      built.dispose();
      throw error instanceof EngineFailure && !error.file ? new EngineFailure(error.code, error.message, file) : error;
    }
    return built;
  });
  return { model, format: 'keras-h5', path: path.resolve(file), files: [path.resolve(file)] };
}

export async function saveKerasH5(model: tf.LayersModel, file: string, options: SaveOptions = {}): Promise<string[]> {
  const config = keras2Config(model);
  const written = await writeViaTempPath(
    file,
    async (temp) => {
      const lib = await h5();
      const out = new lib.File(temp, 'w');
      try {
        out.create_attribute('keras_version', KERAS2_VERSION);
        out.create_attribute('backend', 'tensorflow');
        out.create_attribute('model_config', JSON.stringify(config));
        const weights = out.create_group('model_weights');
        const layers = model.layers;
        weights.create_attribute('layer_names', layers.map((l) => l.name));
        weights.create_attribute('backend', 'tensorflow');
        weights.create_attribute('keras_version', KERAS2_VERSION);
        for (const layer of layers) {
          const group = weights.create_group(layer.name);
          const values = layerWeightValues(layer);
          // Keras writes names as "<layer>/<weight>:0"; an empty list is a float64 array, as Keras writes it.
          const names = values.map((v) => `${v.name}:0`);
          if (names.length) group.create_attribute('weight_names', names);
          else group.create_attribute('weight_names', new Float64Array(0), [0]);
          values.forEach((v, i) => writeDataset(group, names[i]!, v.values, v.shape));
        }
      } finally {
        out.close();
      }
    },
    options.protectedFiles,
  );
  return [written];
}

/** The Keras version whose h5 layout this writer reproduces (Keras only branches on '1' vs later). */
const KERAS2_VERSION = '2.15.0';

export const kerasH5Format: ModelFormatHandler = {
  id: 'keras-h5',
  extensions: ['.h5', '.hdf5'],
  match(file, head) {
    return isHdf5(head) && ['.h5', '.hdf5', '.keras'].includes(path.extname(file).toLowerCase());
  },
  open: openKerasH5,
  save: saveKerasH5,
};
