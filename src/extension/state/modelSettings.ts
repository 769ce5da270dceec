// Per-model choices (datasets, method, layers, epochs, ...) remembered in <folder>/.quench/models.json,
// keyed by the model's path relative to its workspace folder so the file can be committed.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { PruneMethod } from '../../protocol/report';
import { writeJsonAtomically } from './atomicJson';
import { stateRootFor } from './runs';

export interface ModelChoices {
  data?: string;
  trainData?: string;
  method?: PruneMethod;
  layers?: string[];
  finetuneEpochs?: number;
  out?: string;
  seed?: number;
  readoutEpochs?: number;
  threshold?: number;
  targetSparsity?: number;
  compareMethods?: PruneMethod[];
}

type ModelsFile = Record<string, ModelChoices>;

export class ModelSettingsStore {
  /** Serialises read-modify-write cycles on models.json. */
  private queue: Promise<unknown> = Promise.resolve();

  async get(modelPath: string): Promise<ModelChoices> {
    const location = locate(modelPath);
    if (!location) return {};
    const choices = (await readModelsFile(location.file))[location.key] ?? {};
    return resolvePaths(choices, location.root);
  }

  /** Merges `choices` into the model's entry (undefined values leave entries as they are). */
  update(modelPath: string, choices: ModelChoices): Promise<void> {
    const next = this.queue.then(async () => {
      const location = locate(modelPath);
      if (!location) return;
      const all = await readModelsFile(location.file);
      const merged: ModelChoices = { ...all[location.key] };
      for (const [key, value] of Object.entries(relativizePaths(choices, location.root))) {
        if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
      }
      all[location.key] = merged;
      await writeJsonAtomically(location.file, all);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function locate(modelPath: string): { root: string; file: string; key: string } | undefined {
  const root = stateRootFor(modelPath);
  if (!root) return undefined;
  return { root, file: path.join(root, '.quench', 'models.json'), key: toPortable(path.relative(root, modelPath)) };
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
