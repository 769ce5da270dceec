// What every job shares: open the model and a dataset fitted to it, the report's base fields
// (tool version, time, backend, model hash) and stage timings.
import * as path from 'node:path';
import type { BackendName, LayerStats, ModelInfo, ReportBase, ReportKind, Timing, ToolInfo } from '../../protocol/report';
import { SCHEMA_VERSION } from '../../protocol/report';
import packageJson from '../../../package.json';
import { openDataset, type ModelExpectations } from '../data';
import { namesNotUsed } from '../data/dataset';
import type { Dataset } from '../data/types';
import { sha256Files } from '../data/files';
import { outputClasses } from '../eval/evaluate';
import { openModel, type LoadedModel } from '../formats';
import { layerStats } from '../stats';
import { assertFiniteWeights } from '../limits';
import { assertModelFitsBudget } from '../formats/modelSize';
import { throwIfCancelled, type JobContext } from '../core/context';

export { sha256File, sha256Files } from '../data/files';

export const TOOL: ToolInfo = { name: 'quench', version: packageJson.version };

/** Measures consecutive stages: `lap('load')` closes the stage that ran since the last lap. */
export class Stopwatch {
  private last = performance.now();
  private readonly laps: Timing[] = [];

  lap(stage: string): number {
    const now = performance.now();
    const seconds = (now - this.last) / 1000;
    this.laps.push({ stage, seconds: Math.round(seconds * 1000) / 1000 });
    this.last = now;
    return seconds;
  }

  timings(): Timing[] {
    return [...this.laps];
  }
}

export async function loadModelForJob(modelPath: string, ctx: JobContext): Promise<LoadedModel> {
  throwIfCancelled(ctx);
  ctx.progress({ stage: 'load-model', message: `Opening ${path.basename(modelPath)}` });
  // Sizes come from headers, so a model too large for the memory budget is refused before loading.
  await assertModelFitsBudget(modelPath);
  const loaded = await openModel(modelPath);
  try {
    assertFiniteWeights(loaded.model, loaded.path);
    throwIfCancelled(ctx);
  } catch (error) {
    disposeModel(loaded);
    throw error;
  }
  return loaded;
}

/** Input shape without the batch dimension, in the file's layout (an ONNX model's [C, H, W]); a free dimension is -1 (numpy's "any"). */
export function modelInputShape(loaded: LoadedModel): number[] {
  if (loaded.inputShape) return [...loaded.inputShape];
  return loaded.model.inputs[0]!.shape.slice(1).map((d) => d ?? -1);
}

export async function loadDatasetForModel(
  dataPath: string,
  loaded: LoadedModel,
  options: { limit?: number; split?: string; preprocessing?: ModelExpectations['preprocessing'] } = {},
): Promise<Dataset> {
  return openDataset(dataPath, {
    inputShape: loaded.model.inputs[0]!.shape.slice(1),
    classes: outputClasses(loaded.model),
    classNames: loaded.classNames,
    classNamesFile: loaded.classNamesFile,
    limit: options.limit,
    split: options.split,
    preprocessing: options.preprocessing,
    // An ONNX file's [3, H, W] input: a PyTorch image model, which usually expects ImageNet mean/std.
    suggestImageNet: loaded.format === 'onnx' && loaded.inputShape?.length === 3 && loaded.inputShape[0] === 3,
  });
}

/**
 * The per-layer statistics of a report, with output shapes in the file's layout: an ONNX model runs
 * channels-last inside Quench, but its file (and everyone reading the report) says [N, C, H, W].
 */
export function reportLayerStats(loaded: LoadedModel): LayerStats[] {
  const layers = layerStats(loaded.model);
  if (loaded.format !== 'onnx') return layers;
  return layers.map((l) => (l.outputShape.length >= 3 ? { ...l, outputShape: channelsFirst(l.outputShape) } : l));
}

/** [N, ...spatial, C] -> [N, C, ...spatial]. */
function channelsFirst<T>(shape: T[]): T[] {
  return [shape[0]!, shape[shape.length - 1]!, ...shape.slice(1, -1)];
}

/** The model's own class names (metadata.json) when they name exactly its outputs. */
export function modelClassNames(loaded: LoadedModel): string[] | undefined {
  return loaded.classNames?.length === outputClasses(loaded.model) ? loaded.classNames : undefined;
}

/**
 * What the report should say about how the model was read: dequantized weights, unusable class
 * names (the data's note says the latter too, for jobs that read data).
 */
export function modelNotes(loaded: LoadedModel): string[] {
  const notes = [...(loaded.notes ?? [])];
  const names = loaded.classNames;
  const classes = outputClasses(loaded.model);
  if (names && names.length !== classes) notes.push(namesNotUsed(loaded.classNamesFile ?? 'metadata.json', names.length, classes));
  return notes;
}

/** A readable model name: the folder of a model.json, else the file name without extension. */
export function modelName(loaded: LoadedModel): string {
  const base = path.basename(loaded.path);
  if (base.toLowerCase() === 'model.json') return path.basename(path.dirname(path.resolve(loaded.path)));
  return base.replace(/\.(h5|hdf5|keras|json|onnx)$/i, '');
}

export async function modelInfo(loaded: LoadedModel): Promise<ModelInfo> {
  return {
    path: path.resolve(loaded.path),
    name: modelName(loaded),
    format: loaded.format,
    sha256: await sha256Files(loaded.files),
    inputShape: modelInputShape(loaded),
    classes: outputClasses(loaded.model),
    ...(modelClassNames(loaded) && { classNames: modelClassNames(loaded) }),
  };
}

/** Base fields of every report; timings are filled in as the job runs, notes start with the model's. */
export async function reportBase<K extends ReportKind>(
  kind: K,
  loaded: LoadedModel,
  backend: BackendName,
): Promise<ReportBase & { kind: K }> {
  return {
    schemaVersion: SCHEMA_VERSION,
    kind,
    tool: TOOL,
    createdAt: new Date().toISOString(),
    backend,
    model: await modelInfo(loaded),
    timings: [],
    notes: modelNotes(loaded),
  };
}

export function disposeModel(loaded: LoadedModel): void {
  loaded.model.dispose();
}
