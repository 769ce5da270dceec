// The format registry: detect a model file by name + magic bytes, open it, save it (atomically,
// never over the input), and name the files a model consists of.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ModelFormat } from '../../protocol/report';
import { EngineFailure } from '../core/errors';
import type { LoadedModel, ModelFormatHandler, SaveOptions } from './types';
import { tfjsLayersFormat } from './tfjs';
import { kerasH5Format } from './kerasH5';
import { kerasV3Format } from './kerasV3';
import { onnxFiles, onnxFormat } from './onnx';
import { readModelJson, shardPaths } from './tfjsManifest';
import { readHead } from '../data/files';

export type { LoadedModel, ModelFormatHandler, SaveOptions } from './types';

export const formats: ModelFormatHandler[] = [tfjsLayersFormat, kerasH5Format, kerasV3Format, onnxFormat];

const HEAD_BYTES = 4096;

/** A folder holding model.json stands for that model.json. */
async function resolveModelPath(file: string): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new EngineFailure('io', 'does not exist', file);
  }
  if (!stat.isDirectory()) return file;
  const inner = path.join(file, 'model.json');
  try {
    await fs.access(inner);
    return inner;
  } catch {
    throw new EngineFailure('unsupported', 'is a folder without a model.json', file);
  }
}

/** The handler for a model file, from its name and first 4 KiB only; null when none matches. */
export async function detectFormat(file: string): Promise<ModelFormatHandler | null> {
  let resolved: string;
  let head: Uint8Array;
  try {
    resolved = await resolveModelPath(file);
    head = await readHead(resolved, HEAD_BYTES);
  } catch {
    return null;
  }
  return formats.find((f) => f.match(resolved, head)) ?? null;
}

export async function openModel(file: string): Promise<LoadedModel> {
  const resolved = await resolveModelPath(file);
  const handler = await detectFormat(resolved);
  if (!handler) {
    if (path.extname(resolved).toLowerCase() === '.json') {
      // Let the TF.js reader say what exactly is wrong with the JSON (graph model, no topology, ...).
      await readModelJson(resolved);
    }
    throw new EngineFailure(
      'unsupported',
      'is not a model Quench can open (expected a TF.js layers model.json, a Keras .h5, a Keras 3 .keras or an .onnx file)',
      resolved,
    );
  }
  return handler.open(resolved);
}

export function formatHandler(format: ModelFormat): ModelFormatHandler {
  const handler = formats.find((f) => f.id === format);
  if (!handler) throw new EngineFailure('unsupported', `no writer for the format ${format}`);
  return handler;
}

/**
 * Writes `model` at `file` in `format`: every file goes to a temporary sibling first and is renamed
 * into place; `protectedFiles` (pass the input's `LoadedModel.files`) are never written. Returns
 * the absolute paths written.
 */
export function saveModel(
  model: tf.LayersModel,
  file: string,
  format: ModelFormat,
  options: SaveOptions = {},
): Promise<string[]> {
  return formatHandler(format).save(model, file, { atomic: true, ...options });
}

const PRUNED_EXTENSION: Record<ModelFormat, string> = { 'tfjs-layers': '.json', 'keras-h5': '.h5', 'keras-v3': '.keras', onnx: '.onnx' };

/**
 * Where a pruned copy goes by default: `<name>.pruned.<ext>` beside the input for Keras and ONNX files.
 * A TF.js model gets its own folder beside its model.json, `<stem>.pruned/model.json`, so its
 * shards keep tfjs's names without colliding with the input's shards. With `format` the output is
 * converted, and the extension follows the output format.
 */
export function defaultPrunedPath(inputPath: string, format?: ModelFormat): string {
  const dir = path.dirname(inputPath);
  const ext = path.extname(inputPath);
  const stem = path.basename(inputPath, ext);
  const lower = ext.toLowerCase();
  const outFormat = format ?? (lower === '.json' ? 'tfjs-layers' : lower === '.keras' ? 'keras-v3' : lower === '.onnx' ? 'onnx' : 'keras-h5');
  if (outFormat === 'tfjs-layers') return path.join(dir, `${stem}.pruned`, 'model.json');
  return path.join(dir, `${stem}.pruned${PRUNED_EXTENSION[outFormat]}`);
}

/** Every file of the model at `file` (model.json + its shards, the single Keras file, or an .onnx and its external data). */
export async function modelFiles(file: string): Promise<string[]> {
  const resolved = path.resolve(await resolveModelPath(file));
  if (path.extname(resolved).toLowerCase() === '.onnx') return onnxFiles(resolved);
  if (path.extname(resolved).toLowerCase() !== '.json') return [resolved];
  return [resolved, ...shardPaths(resolved, await readModelJson(resolved))];
}
