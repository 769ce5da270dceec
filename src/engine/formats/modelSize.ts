// How much memory a model's weights take once loaded, read from headers only (the TF.js
// manifest, HDF5 dataset shapes, the .keras zip directory), so an absurd model is refused before
// anything is allocated.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import type { Dataset, Group } from 'h5wasm';
import { parseOnnx } from './onnx';
import { detectFormat } from '.';
import { readH5 } from './h5';
import { readModelJson } from './tfjsManifest';
import { EngineFailure } from '../core/errors';
import { budgetPhrase, formatBytes, memoryBudgetBytes } from '../limits/budget';

/**
 * Loading holds a model's weights twice at its peak: the bytes read from disk and the float32
 * tensors built from them (tfjs copies; h5wasm returns fresh arrays).
 */
export const LOAD_COPIES = 2;

export interface WeightSize {
  /** float32 values the model's weights hold once loaded (quantized weights are dequantized). */
  values: number;
  bytes: number;
}

function product(shape: unknown, what: string, file: string): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new EngineFailure('bad-model', `${what} has an invalid shape ${JSON.stringify(shape)}`, file);
  }
  return (shape as number[]).reduce((a, b) => a * b, 1);
}

async function tfjsSize(file: string): Promise<WeightSize> {
  const json = await readModelJson(file);
  let values = 0;
  for (const group of json.weightsManifest) {
    for (const entry of group.weights) values += product(entry.shape, `weight "${entry.name}"`, file);
  }
  return { values, bytes: values * 4 };
}

async function h5Size(file: string): Promise<WeightSize> {
  return readH5(file, async (h5file) => {
    let values = 0;
    const walk = (group: Group, depth: number): void => {
      if (depth > 32) return;
      for (const key of group.keys()) {
        const child = group.get(key) as Group | Dataset | null;
        if (!child) continue;
        if (child.type === 'Group') walk(child as Group, depth + 1);
        else if (child.type === 'Dataset') values += product((child as Dataset).shape ?? [], `HDF5 dataset ${key}`, file);
      }
    };
    const weights = h5file.get('model_weights') as Group | null;
    walk(weights && weights.type === 'Group' ? weights : h5file, 0);
    return { values, bytes: values * 4 };
  });
}

async function kerasSize(file: string): Promise<WeightSize> {
  const { size } = await fs.stat(file);
  // The zip itself is read whole; refuse before reading when the file alone is over the budget.
  if (size * LOAD_COPIES > memoryBudgetBytes()) return { values: size / 4, bytes: size };
  const data = new Uint8Array(await fs.readFile(file));
  let declared = 0;
  try {
    // A filter that keeps nothing lists the entries' declared sizes without inflating any.
    unzipSync(data, { filter: (entry) => ((declared += entry.originalSize), false) });
  } catch {
    return { values: size / 4, bytes: size }; // not a zip: the reader says what is wrong
  }
  return { values: declared / 4, bytes: declared };
}

/** An ONNX model's initializers as float32 (their dims, external data included), from the protobuf structure. */
async function onnxSize(file: string): Promise<WeightSize> {
  let values = 0;
  try {
    const model = parseOnnx(new Uint8Array(await fs.readFile(file)), file);
    for (const t of model.graph.initializers) values += t.dims.reduce((a, b) => a * b, 1);
  } catch {
    return { values: 0, bytes: 0 }; // the reader says what is wrong
  }
  return { values, bytes: values * 4 };
}

/** The weights' size from headers only; null for files no reader claims (the reader reports them). */
export async function modelWeightSize(file: string): Promise<WeightSize | null> {
  // Same detection as openModel (name + magic bytes), so a look-alike gets the reader's message.
  switch ((await detectFormat(file))?.id) {
    case 'tfjs-layers':
      return tfjsSize(file);
    case 'keras-h5':
      return h5Size(file);
    case 'keras-v3':
      return kerasSize(file);
    case 'onnx':
      return onnxSize(file);
    default:
      return null;
  }
}

/**
 * Refuses, with the model's size and the budget named, a model whose loading would not fit the
 * memory budget. `file` is the resolved model file (model.json, .h5, .keras).
 */
export async function assertModelFitsBudget(file: string): Promise<WeightSize | null> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat) return null; // the reader names a missing file
  const resolved = stat.isDirectory() ? path.join(file, 'model.json') : file;
  const size = await modelWeightSize(resolved);
  if (!size) return null;
  const peak = size.bytes * LOAD_COPIES;
  if (peak > memoryBudgetBytes()) {
    throw new EngineFailure(
      'too-large',
      `the model's weights take ${formatBytes(size.bytes)} (${Math.round(size.values).toLocaleString('en-US')} float32 values); loading them needs about ${formatBytes(peak)}, over ${budgetPhrase()}`,
      resolved,
    );
  }
  return size;
}
