// What Prune Model… starts from, how one option moves the others (a format moves the default
// output), what it remembers for the model, and the engine request it makes. No vscode, so the
// unit tier checks it; the quick picks themselves are in pruneChoices.ts.
import * as path from 'node:path';
import type { PruneParams } from '../../protocol/engine';
import type { ModelFormat, PruneMethod } from '../../protocol/report';
import type { ModelChoices } from '../state/modelsFile';
import { defaultPrunedPath } from './defaultOutput';

export interface PruneChoices extends ModelChoices {
  data: string;
  method: PruneMethod;
  out: string;
  format: ModelFormat;
  structured: boolean;
  finetuneEpochs: number;
}

export type PruneDefaults = Omit<PruneChoices, 'data'> & { data?: string };

/** The remembered choices with the quench.* settings filled in (jobDefaults.ts). */
export type JobDefaults = ModelChoices & { method: PruneMethod; readoutEpochs: number; finetuneEpochs: number };

export const OUTPUT_FORMATS: { format: ModelFormat; label: string; detail: string }[] = [
  { format: 'tfjs-layers', label: 'TF.js layers', detail: 'model.json + .bin weight shards, for tf.loadLayersModel' },
  { format: 'keras-h5', label: 'Keras HDF5', detail: '.h5, for keras.models.load_model (Keras 2 and 3)' },
  { format: 'keras-v3', label: 'Keras 3', detail: '.keras, the Keras 3 native format' },
];

const FORMAT_BY_EXTENSION: [RegExp, ModelFormat][] = [[/\.(h5|hdf5)$/i, 'keras-h5'], [/\.keras$/i, 'keras-v3'], [/\.json$/i, 'tfjs-layers']];

/** The format a file name says (as the engine reads it), if any. */
export function formatOfPath(file: string): ModelFormat | undefined {
  return FORMAT_BY_EXTENSION.find(([pattern]) => pattern.test(file))?.[1];
}

/** Where the flow starts: the remembered choice, else the settings, else the engine's defaults. */
export function pruneDefaults(remembered: JobDefaults, model: { path: string; format: ModelFormat }): PruneDefaults {
  const format = remembered.format ?? (remembered.out ? formatOfPath(remembered.out) : undefined) ?? model.format;
  return {
    ...remembered,
    format,
    structured: remembered.structured ?? false,
    out: remembered.out ?? defaultPrunedPath(model.path, format),
  };
}

/** True when `out` is a path the person chose, not one of the defaults beside the model. */
export function outPickedByPerson(out: string, modelPath: string): boolean {
  return !(['tfjs-layers', 'keras-h5', 'keras-v3'] as const).some((f) => path.resolve(out) === path.resolve(defaultPrunedPath(modelPath, f)));
}

/**
 * Another output format: a default output moves to that format's default; a chosen one keeps its
 * folder and stem with the format's file name (`x.h5` ↔ `x.keras` ↔ `x/model.json`).
 */
export function withFormat<T extends { out: string; format: ModelFormat }>(choices: T, modelPath: string, format: ModelFormat): T {
  if (!outPickedByPerson(choices.out, modelPath)) return { ...choices, format, out: defaultPrunedPath(modelPath, format) };
  const named = formatOfPath(choices.out);
  if (named === undefined || named === format) return { ...choices, format };
  const dir = path.dirname(choices.out);
  const base = path.basename(choices.out);
  const stem = named === 'tfjs-layers' && base.toLowerCase() === 'model.json' ? path.basename(dir) : base.replace(/\.[^.]+$/, '');
  const folder = named === 'tfjs-layers' && base.toLowerCase() === 'model.json' ? path.dirname(dir) : dir;
  const out = format === 'tfjs-layers' ? path.join(folder, stem, 'model.json') : path.join(folder, `${stem}${format === 'keras-h5' ? '.h5' : '.keras'}`);
  return { ...choices, format, out };
}

/** A chosen output path: its name decides the format when it names one. */
export function withOutput<T extends { out: string; format: ModelFormat }>(choices: T, out: string): T {
  return { ...choices, out, format: formatOfPath(out) ?? choices.format };
}

/**
 * The defaults with an arguments object's fields on top (a command call without pickers). A
 * `format` without an `out` moves the default output along, as the flow does.
 */
export function applyArgs(defaults: PruneDefaults, args: Partial<PruneChoices>, modelPath: string): PruneDefaults {
  let choices: PruneDefaults = { ...defaults };
  if (args.format && !args.out) choices = withFormat(choices, modelPath, args.format);
  if (args.out) choices = withOutput(choices, args.out);
  const rest = Object.fromEntries(Object.entries(args).filter(([key, v]) => v !== undefined && key !== 'out' && key !== 'format'));
  return { ...choices, ...rest, format: args.format ?? choices.format };
}

/** What is stored for the model after a run starts: everything asked, the output only when chosen. */
export function choicesToRemember(chosen: PruneChoices, modelPath: string): ModelChoices {
  return {
    data: chosen.data,
    trainData: chosen.trainData,
    method: chosen.method,
    sparsity: chosen.sparsity,
    layers: chosen.layers,
    finetuneEpochs: chosen.finetuneEpochs,
    format: chosen.format,
    structured: chosen.structured,
    seed: chosen.seed,
    readoutEpochs: chosen.readoutEpochs,
    threshold: chosen.threshold,
    targetSparsity: chosen.targetSparsity,
    out: outPickedByPerson(chosen.out, modelPath) ? chosen.out : undefined,
  };
}

export function pruneParams(modelPath: string, choices: PruneChoices, limit?: number): PruneParams {
  const finetuneEpochs = choices.finetuneEpochs ?? 0;
  return {
    model: modelPath,
    data: choices.data,
    limit,
    method: choices.method,
    layers: choices.layers?.length ? choices.layers : undefined,
    threshold: choices.threshold,
    targetSparsity: choices.targetSparsity,
    sparsity: choices.sparsity,
    seed: choices.seed,
    readoutEpochs: choices.readoutEpochs,
    out: choices.out,
    format: choices.format,
    structured: choices.structured || undefined,
    finetune: finetuneEpochs > 0 ? { epochs: finetuneEpochs, trainData: choices.trainData } : undefined,
  };
}

export function finetuneText(choices: Pick<PruneChoices, 'finetuneEpochs' | 'trainData'>, relative: (p: string) => string): string {
  if (!(choices.finetuneEpochs > 0)) return 'none';
  const epochs = `${choices.finetuneEpochs} epoch${choices.finetuneEpochs === 1 ? '' : 's'}`;
  return choices.trainData ? `${epochs} on ${relative(choices.trainData)}` : `${epochs} on the training data beside the evaluation data`;
}

/** One line saying what will run, for the flow's last step. */
export function pruneSummary(choices: PruneDefaults, methodLabel: string, relative: (p: string) => string): string {
  const parts = [methodLabel];
  if (choices.sparsity !== undefined && !['afcc', 'random-afcc'].includes(choices.method)) parts.push(`sparsity ${choices.sparsity}`);
  parts.push(choices.layers?.length ? `${choices.layers.length} layer${choices.layers.length === 1 ? '' : 's'}` : 'default layers');
  if (choices.finetuneEpochs > 0) parts.push(`fine-tune ${finetuneText(choices, relative)}`);
  if (choices.structured) parts.push('dead filters removed');
  parts.push(`→ ${relative(choices.out)} (${choices.format})`);
  return parts.join(' · ');
}
