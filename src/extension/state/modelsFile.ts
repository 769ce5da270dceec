// The file behind the per-model choices: <root>/.quench/models.json, one entry per model keyed by
// its path relative to the workspace folder, with the data and output paths stored relative too
// so the file can be committed. No vscode: the unit tier reads and writes it as the store does.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { BudgetObjective, ModelFormat, PruneMethod } from '../../protocol/report';
import { writeJsonAtomically } from './atomicJson';

/** What a person chose for a model last time; every job flow starts from it. */
export interface ModelChoices {
  /**
   * Accuracy budget in percentage points of top-1 (the Prune flow's first question); null when a
   * fixed sparsity or threshold was chosen instead.
   */
  maxDrop?: number | null;
  /** Method under a budget: 'auto' runs several and keeps the best verified result. */
  budgetMethod?: PruneMethod | 'auto';
  /** What a budgeted prune maximises the removal of. */
  objective?: BudgetObjective;
  data?: string;
  trainData?: string;
  /** Method of a prune at a fixed sparsity or threshold. */
  method?: PruneMethod;
  /** Per-layer sparsity of the magnitude, L1-kernel and random methods. */
  sparsity?: number;
  layers?: string[];
  finetuneEpochs?: number;
  out?: string;
  /** Format of the pruned model (the input's when never chosen). */
  format?: ModelFormat;
  /** Remove dead filters physically on export (--structured). */
  structured?: boolean;
  seed?: number;
  readoutEpochs?: number;
  threshold?: number;
  targetSparsity?: number;
  compareMethods?: PruneMethod[];
}

type ModelsFile = Record<string, ModelChoices>;

export function modelsFilePath(root: string): string {
  return path.join(root, '.quench', 'models.json');
}

/** The model's entry with its paths made absolute; {} when none is stored. */
export async function readModelChoices(root: string, modelPath: string): Promise<ModelChoices> {
  const choices = (await readModelsFile(modelsFilePath(root)))[keyOf(root, modelPath)] ?? {};
  return resolvePaths(choices, root);
}

/** Merges `choices` into the model's entry; undefined values leave what is stored. */
export async function mergeModelChoices(root: string, modelPath: string, choices: ModelChoices): Promise<void> {
  const file = modelsFilePath(root);
  const all = await readModelsFile(file);
  const key = keyOf(root, modelPath);
  const merged: ModelChoices = { ...all[key] };
  for (const [name, value] of Object.entries(relativizePaths(choices, root))) {
    if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
  }
  all[key] = merged;
  await writeJsonAtomically(file, all);
}

function keyOf(root: string, modelPath: string): string {
  return toPortable(path.relative(root, modelPath));
}

async function readModelsFile(file: string): Promise<ModelsFile> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ModelsFile) : {};
  } catch {
    return {};
  }
}

const PATH_KEYS = ['data', 'trainData', 'out'] as const;

function resolvePaths(choices: ModelChoices, root: string): ModelChoices {
  const out = { ...choices };
  for (const key of PATH_KEYS) if (out[key]) out[key] = path.resolve(root, out[key]!);
  return out;
}

function relativizePaths(choices: ModelChoices, root: string): ModelChoices {
  const out = { ...choices };
  for (const key of PATH_KEYS) {
    const value = out[key];
    if (!value) continue;
    const relative = path.relative(root, value);
    // Paths inside the workspace are stored relative (portable); others stay absolute.
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) out[key] = toPortable(relative);
  }
  return out;
}

function toPortable(p: string): string {
  return p.split(path.sep).join('/');
}
