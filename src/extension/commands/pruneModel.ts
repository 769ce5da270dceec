// quench.pruneModel: prune a model with AFCC or a baseline, through the quick-pick flow or fully
// from an arguments object { model, data, method, layers, finetuneEpochs, out, seed, ... }.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PruneParams } from '../../protocol/engine';
import type { PruneReport } from '../../protocol/report';
import type { JobOutcome } from '../jobs/runner';
import { refuseUntrusted } from '../jobs/trust';
import type { CommandDeps } from './deps';
import { defaultPrunedPath } from './defaultOutput';
import { jobDefaults } from './jobDefaults';
import { commandInput, reportCommandError, resolveModel } from './input';
import type { ModelChoices } from '../state/modelSettings';
import { matricesPathFor } from '../state/runs';
import { rememberDataset } from './pickDataset';
import { askPruneChoices, PRUNE_METHODS, type PruneChoices, type PruneDefaults } from './pruneChoices';

/** Everything the prune flow asks, settable as command arguments (the same fields stored per model). */
export interface PruneModelArgs extends Omit<ModelChoices, 'compareMethods'> {
  model?: string | vscode.Uri;
  /** Per-layer sparsity for magnitude, global-magnitude, l1-kernel and random. */
  sparsity?: number;
  limit?: number;
  ifBusy?: 'ask' | 'cancel' | 'refuse';
}

export async function pruneModel(deps: CommandDeps, ...args: unknown[]): Promise<JobOutcome<PruneReport> | undefined> {
  const { target, options } = commandInput<PruneModelArgs>(args);
  try {
    const refusal = refuseUntrusted('Prune Model');
    if (refusal) return { outcome: 'refused', message: refusal };
    const model = await resolveModel(deps, target, 'Model to prune');
    if (!model) return undefined;
    const defaults = await pruneDefaults(deps, model.path);
    const choices = options ? { ...defaults, ...definedOnly(options) } : await askPruneChoices(deps, model, defaults);
    if (!choices) return undefined;
    if (!choices.data) {
      return { outcome: 'refused', message: `No evaluation data for ${model.name}: pass \`data\` or run "Quench: Select Dataset for Model…" first.` };
    }
    const chosen = choices as PruneChoices;
    if (path.resolve(chosen.out) === path.resolve(model.path)) {
      return { outcome: 'refused', message: `The output ${chosen.out} is the model itself; Quench never writes over the original.` };
    }
    await deps.settings.update(model.path, {
      data: chosen.data,
      trainData: chosen.trainData,
      method: chosen.method,
      layers: chosen.layers,
      finetuneEpochs: chosen.finetuneEpochs,
      seed: chosen.seed,
      readoutEpochs: chosen.readoutEpochs,
      threshold: chosen.threshold,
      targetSparsity: chosen.targetSparsity,
      out: options?.out ?? (outPickedByPerson(chosen.out, model.path) ? chosen.out : undefined),
    });
    await rememberDataset(deps, chosen.data);
    const label = PRUNE_METHODS.find((m) => m.method === chosen.method)?.label ?? chosen.method;
    // AFCC analyses the layers first; its matrices let the panel draw each filter's heat map.
    const matricesPath = chosen.method === 'afcc' || chosen.method === 'random-afcc' ? await matricesPathFor(model.path, 'prune') : undefined;
    return await deps.jobs.run({
      method: 'prune',
      params: { ...pruneParams(model.path, chosen, options?.limit), matricesPath },
      modelPath: model.path,
      title: `Pruning ${model.name} (${label})`,
      outputs: matricesPath ? [chosen.out, matricesPath] : [chosen.out],
      ifBusy: options?.ifBusy,
    });
  } catch (error) {
    return reportCommandError(error);
  }
}

async function pruneDefaults(deps: CommandDeps, modelPath: string): Promise<PruneDefaults> {
  const defaults = await jobDefaults(deps, modelPath);
  return { ...defaults, out: defaults.out ?? defaultPrunedPath(modelPath) };
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
    finetune: finetuneEpochs > 0 ? { epochs: finetuneEpochs, trainData: choices.trainData } : undefined,
  };
}

function outPickedByPerson(out: string, modelPath: string): boolean {
  return path.resolve(out) !== path.resolve(defaultPrunedPath(modelPath));
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([key, v]) => v !== undefined && key !== 'model')) as Partial<T>;
}
