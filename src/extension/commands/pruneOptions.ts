// What Prune Model… starts from, how one option moves the others (a format moves the default
// output), what it remembers for the model, and the engine request it makes: within an accuracy
// budget (--max-drop, the default) or at a fixed sparsity or threshold. No vscode, so the unit tier
// checks it; the quick picks themselves are in pruneChoices.ts.
import * as path from 'node:path';
import type { PruneParams } from '../../protocol/engine';
import type { BudgetObjective, ModelFormat, PruneMethod } from '../../protocol/report';
import type { ModelChoices } from '../state/modelsFile';
import { defaultPrunedPath } from './defaultOutput';

export interface PruneChoices extends ModelChoices {
  data: string;
  /** The budget in pp of top-1, or null for a fixed sparsity or threshold (`method` and its options). */
  maxDrop: number | null;
  budgetMethod: PruneMethod | 'auto';
  objective: BudgetObjective;
  method: PruneMethod;
  out: string;
  format: ModelFormat;
  structured: boolean;
  finetuneEpochs: number;
  /**
   * True while nobody chose the fine-tuning epochs (neither remembered nor set in the settings):
   * under a budget they become 1 where training data sits beside the evaluation data.
   */
  finetuneUnset?: boolean;
}

export type PruneDefaults = Omit<PruneChoices, 'data'> & { data?: string };

/** The remembered choices with the quench.* settings filled in (jobDefaults.ts). */
export type JobDefaults = ModelChoices & { method: PruneMethod; readoutEpochs: number; finetuneEpochs: number; finetuneUnset?: boolean };

/** The budget a model starts from when nothing is remembered: the flow's recommended first answer. */
export const DEFAULT_MAX_DROP = 0.5;

/** Budgets the flow offers (pp of top-1); the first is the recommended one. */
export const BUDGETS = [0.5, 1, 2] as const;

export const OBJECTIVES: { objective: BudgetObjective; label: string; detail: string }[] = [
  { objective: 'params', label: 'Parameters', detail: 'remove as many weights as the budget allows (file size after compression, memory)' },
  { objective: 'macs', label: 'MACs', detail: 'remove the weights that cost the most multiply-accumulates (compute per image)' },
  { objective: 'size', label: 'File size', detail: 'remove the weights that take the most bytes in the written model' },
];

/**
 * The budget when the model has none stored: a model pruned before at a fixed method keeps that
 * way of pruning (null); a model never pruned starts from the recommended budget.
 */
export function rememberedBudget(remembered: Pick<ModelChoices, 'maxDrop' | 'method'>): number | null {
  if (remembered.maxDrop !== undefined) return remembered.maxDrop;
  return remembered.method !== undefined ? null : DEFAULT_MAX_DROP;
}

export const OUTPUT_FORMATS: { format: ModelFormat; label: string; detail: string }[] = [
  { format: 'tfjs-layers', label: 'TF.js layers', detail: 'model.json + .bin weight shards, for tf.loadLayersModel' },
  { format: 'keras-h5', label: 'Keras HDF5', detail: '.h5, for keras.models.load_model (Keras 2 and 3)' },
  { format: 'keras-v3', label: 'Keras 3', detail: '.keras, the Keras 3 native format' },
  { format: 'onnx', label: 'ONNX', detail: '.onnx, NCHW, for onnxruntime and PyTorch tools' },
];

const FORMAT_BY_EXTENSION: [RegExp, ModelFormat][] = [[/\.(h5|hdf5)$/i, 'keras-h5'], [/\.keras$/i, 'keras-v3'], [/\.json$/i, 'tfjs-layers'], [/\.onnx$/i, 'onnx']];

/** The format a file name says (as the engine reads it), if any. */
export function formatOfPath(file: string): ModelFormat | undefined {
  return FORMAT_BY_EXTENSION.find(([pattern]) => pattern.test(file))?.[1];
}

/** Where the flow starts: the remembered choice, else the settings, else the engine's defaults. */
export function pruneDefaults(remembered: JobDefaults, model: { path: string; format: ModelFormat }): PruneDefaults {
  const format = remembered.format ?? (remembered.out ? formatOfPath(remembered.out) : undefined) ?? model.format;
  return {
    ...remembered,
    maxDrop: remembered.maxDrop === undefined ? DEFAULT_MAX_DROP : remembered.maxDrop,
    // The CLI's default under --max-drop too: magnitude removed the most within a budget on the
    // example at one sensitivity scan (docs/benchmarks.md §9, §10); auto runs every AFCC variant as
    // well, several times the time, and is one pick away.
    budgetMethod: remembered.budgetMethod ?? 'magnitude',
    objective: remembered.objective ?? 'params',
    format,
    structured: remembered.structured ?? false,
    out: remembered.out ?? defaultPrunedPath(model.path, format),
  };
}

/**
 * The chosen evaluation data is known: under a budget, fine-tuning nobody chose becomes one epoch
 * where training data sits beside it (`trainingFound`), so BatchNorm and the weights recover.
 */
export function withFinetuneDefault<T extends Pick<PruneChoices, 'maxDrop' | 'finetuneEpochs' | 'finetuneUnset'>>(choices: T, trainingFound: boolean): T {
  if (!choices.finetuneUnset || choices.maxDrop === null) return choices;
  return { ...choices, finetuneEpochs: trainingFound ? 1 : choices.finetuneEpochs };
}

/** True when `out` is a path the person chose, not one of the defaults beside the model. */
export function outPickedByPerson(out: string, modelPath: string): boolean {
  return !(['tfjs-layers', 'keras-h5', 'keras-v3', 'onnx'] as const).some((f) => path.resolve(out) === path.resolve(defaultPrunedPath(modelPath, f)));
}

/**
 * Another output format: a default output moves to that format's default; a chosen one keeps its
 * folder and stem with the format's file name (`x.h5` ↔ `x.keras` ↔ `x.onnx` ↔ `x/model.json`).
 */
export function withFormat<T extends { out: string; format: ModelFormat }>(choices: T, modelPath: string, format: ModelFormat): T {
  if (!outPickedByPerson(choices.out, modelPath)) return { ...choices, format, out: defaultPrunedPath(modelPath, format) };
  const named = formatOfPath(choices.out);
  if (named === undefined || named === format) return { ...choices, format };
  const dir = path.dirname(choices.out);
  const base = path.basename(choices.out);
  const stem = named === 'tfjs-layers' && base.toLowerCase() === 'model.json' ? path.basename(dir) : base.replace(/\.[^.]+$/, '');
  const folder = named === 'tfjs-layers' && base.toLowerCase() === 'model.json' ? path.dirname(dir) : dir;
  const extension = { 'keras-h5': '.h5', 'keras-v3': '.keras', onnx: '.onnx' } as const;
  const out = format === 'tfjs-layers' ? path.join(folder, stem, 'model.json') : path.join(folder, `${stem}${extension[format]}`);
  return { ...choices, format, out };
}

/** A chosen output path: its name decides the format when it names one. */
export function withOutput<T extends { out: string; format: ModelFormat }>(choices: T, out: string): T {
  return { ...choices, out, format: formatOfPath(out) ?? choices.format };
}

/** Arguments that only mean something at a fixed sparsity or threshold. */
const FIXED_ARGS = ['method', 'sparsity', 'threshold', 'targetSparsity', 'layers'] as const;

/**
 * The defaults with an arguments object's fields on top (a command call without pickers). A
 * `format` without an `out` moves the default output along, as the flow does. Arguments naming a
 * fixed method, sparsity, threshold or layers without a `maxDrop` prune that way, not within the
 * remembered budget.
 */
export function applyArgs(defaults: PruneDefaults, args: Partial<PruneChoices>, modelPath: string): PruneDefaults {
  let choices: PruneDefaults = { ...defaults };
  if (args.maxDrop === undefined && FIXED_ARGS.some((key) => args[key] !== undefined)) choices.maxDrop = null;
  if (args.format && !args.out) choices = withFormat(choices, modelPath, args.format);
  if (args.out) choices = withOutput(choices, args.out);
  const rest = Object.fromEntries(Object.entries(args).filter(([key, v]) => v !== undefined && key !== 'out' && key !== 'format'));
  return { ...choices, ...rest, format: args.format ?? choices.format };
}

/** What is stored for the model after a run starts: everything asked, the output only when chosen. */
export function choicesToRemember(chosen: PruneChoices, modelPath: string): ModelChoices {
  return {
    maxDrop: chosen.maxDrop,
    budgetMethod: chosen.maxDrop === null ? undefined : chosen.budgetMethod,
    objective: chosen.maxDrop === null ? undefined : chosen.objective,
    data: chosen.data,
    trainData: chosen.trainData,
    method: chosen.maxDrop === null ? chosen.method : undefined,
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
  const common = {
    model: modelPath,
    data: choices.data,
    limit,
    seed: choices.seed,
    readoutEpochs: choices.readoutEpochs,
    out: choices.out,
    format: choices.format,
    structured: choices.structured || undefined,
    finetune: finetuneEpochs > 0 ? { epochs: finetuneEpochs, trainData: choices.trainData } : undefined,
  };
  // Within a budget the engine chooses the layers and their sparsities; the fixed-method options stay
  // out. Its fine-tuning is always said, 0 included: unsaid, the engine fine-tunes one epoch where
  // training data sits beside the data.
  if (choices.maxDrop !== null) {
    return { ...common, method: choices.budgetMethod, maxDrop: choices.maxDrop, objective: choices.objective, finetune: { epochs: finetuneEpochs, trainData: choices.trainData } };
  }
  return {
    ...common,
    method: choices.method,
    layers: choices.layers?.length ? choices.layers : undefined,
    threshold: choices.threshold,
    targetSparsity: choices.targetSparsity,
    sparsity: choices.sparsity,
  };
}

export function finetuneText(choices: Pick<PruneChoices, 'finetuneEpochs' | 'trainData'>, relative: (p: string) => string): string {
  if (!(choices.finetuneEpochs > 0)) return 'none';
  const epochs = `${choices.finetuneEpochs} epoch${choices.finetuneEpochs === 1 ? '' : 's'}`;
  return choices.trainData ? `${epochs} on ${relative(choices.trainData)}` : `${epochs} on the training data beside the evaluation data`;
}

/** 'Top-1 within 0.5 pp' or 'A fixed sparsity or threshold'. */
export function budgetText(maxDrop: number | null): string {
  return maxDrop === null ? 'A fixed sparsity or threshold' : `Top-1 within ${maxDrop} pp`;
}

/** One line saying what will run, for the flow's last step. */
export function pruneSummary(choices: PruneDefaults, methodLabel: string, relative: (p: string) => string): string {
  if (choices.maxDrop !== null) {
    const objective = OBJECTIVES.find((o) => o.objective === choices.objective)?.label.toLowerCase() ?? choices.objective;
    const parts = [budgetText(choices.maxDrop), `${methodLabel}, most ${objective} removed`];
    parts.push(choices.finetuneEpochs > 0 ? `fine-tune ${finetuneText(choices, relative)}` : 'no fine-tuning');
    if (choices.structured) parts.push('dead filters removed');
    parts.push(`→ ${relative(choices.out)} (${choices.format})`);
    return parts.join(' · ');
  }
  const parts = [methodLabel];
  if (choices.sparsity !== undefined && !['afcc', 'random-afcc'].includes(choices.method)) parts.push(`sparsity ${choices.sparsity}`);
  parts.push(choices.layers?.length ? `${choices.layers.length} layer${choices.layers.length === 1 ? '' : 's'}` : 'default layers');
  if (choices.finetuneEpochs > 0) parts.push(`fine-tune ${finetuneText(choices, relative)}`);
  if (choices.structured) parts.push('dead filters removed');
  parts.push(`→ ${relative(choices.out)} (${choices.format})`);
  return parts.join(' · ');
}
