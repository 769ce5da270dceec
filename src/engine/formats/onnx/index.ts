// ONNX models (.onnx, external data beside them): read into a tfjs model run channels-last, and
// written back as the same ONNX graph with new weights (masked) or new shapes (structured).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../../core/errors';
import { modelFromTopology, setLayerWeights } from '../build';
import type { LoadedModel, ModelFormatHandler, SaveOptions } from '../types';
import { OnnxConverter, type ConvertedGraph } from './convert';
import { decodeModel, F, type OnnxModel } from './proto';
import { ExternalData, isExternal } from './tensor';
import { ProtobufError, stringOf, submessages } from './protobuf';
import { saveOnnx } from './write';
import type { OnnxSource } from './source';

export { isOnnxSource, type OnnxSource } from './source';

/** `text` with control characters written as escapes (\n, \u0000, ...). */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** Parses the ModelProto; malformed bytes become one line naming the file. */
export function parseOnnx(bytes: Uint8Array, file: string): OnnxModel {
  try {
    return decodeModel(bytes);
  } catch (error) {
    const why = error instanceof ProtobufError ? `is not a valid ONNX file (damaged or truncated protobuf: ${error.message})` : (error as Error).message;
    throw new EngineFailure('bad-model', why, file);
  }
}

export async function readOnnx(file: string): Promise<{ model: OnnxModel; graph: ConvertedGraph; external: ExternalData }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (error) {
    throw new EngineFailure('io', `cannot be read: ${(error as Error).message}`, file);
  }
  if (bytes.length === 0) throw new EngineFailure('bad-model', 'is empty', file);
  const model = parseOnnx(bytes, file);
  const external = await ExternalData.for(file);
  let graph: ConvertedGraph;
  try {
    graph = await new OnnxConverter(model, file, external).convert();
  } catch (error) {
    // Names come from the file: control characters are escaped so the message stays one line.
    if (error instanceof EngineFailure) throw new EngineFailure(error.code, printable(error.message), file);
    throw new EngineFailure('bad-model', printable(`cannot be read: ${(error as Error).message}`), file);
  }
  return { model, graph, external };
}

export async function openOnnx(file: string): Promise<LoadedModel> {
  const { model, graph, external } = await readOnnx(file);
  const built = await modelFromTopology(graph.topology, file);
  try {
    setLayerWeights(built, ([name]) => graph.weights.get(name!) ?? null, file);
  } catch (error) {
    built.dispose();
    throw error;
  }
  const notes = [
    `ONNX (opset ${model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version}${model.producerName ? `, from ${model.producerName} ${model.producerVersion}`.trimEnd() : ''}): run channels-last inside Quench; masks, layer names and written files follow the file's NCHW layout.`,
    ...graph.notes,
  ];
  // A 3-channel input's normalisation is never guessed here: the dataset reader notes ImageNet
  // mean/std where the data states none (data/dataset.ts, imageNetNote), and the dataset step asks.
  const source: OnnxSource = { kind: 'onnx', file: path.resolve(file), model, graph, external };
  return {
    model: built,
    format: 'onnx',
    path: path.resolve(file),
    files: [path.resolve(file), ...[...external.paths].sort()],
    notes,
    inputShape: graph.inputShape,
    source,
  };
}

/** The model file and the external data files its initializers name inside its folder. */
export async function onnxFiles(file: string): Promise<string[]> {
  const resolved = path.resolve(file);
  const model = parseOnnx(new Uint8Array(await fs.readFile(resolved)), resolved);
  const dir = path.dirname(resolved);
  const locations = new Set<string>();
  for (const tensor of model.graph.initializers) {
    if (!isExternal(tensor)) continue;
    const entry = submessages(tensor.msg, F.tensor.externalData).find((e) => stringOf(e, F.entry.key) === 'location');
    const location = entry ? stringOf(entry, F.entry.value) : '';
    const target = path.resolve(dir, location);
    if (location && !path.isAbsolute(location) && target.startsWith(dir + path.sep)) locations.add(target);
  }
  return [resolved, ...[...locations].sort()];
}

export const onnxFormat: ModelFormatHandler = {
  id: 'onnx',
  extensions: ['.onnx'],
  match(file) {
    return path.extname(file).toLowerCase() === '.onnx';
  },
  open: openOnnx,
  save: (model: tf.LayersModel, file: string, options?: SaveOptions) => saveOnnx(model, file, options),
};
