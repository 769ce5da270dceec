// quench.pruneModel: prune a model within an accuracy budget (the default: { maxDrop: 0.5 }, method
// magnitude) or with AFCC or a baseline at a fixed sparsity or threshold ({ maxDrop: null, method, ... }),
// through the quick-pick flow or fully from an arguments object { model, data, maxDrop,
// budgetMethod, objective, method, layers, finetuneEpochs, format, structured, out, seed, ... }.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PruneMethod, PruneReport } from '../../protocol/report';
import type { JobOutcome } from '../jobs/runner';
import { refuseUntrusted } from '../jobs/trust';
import type { ModelChoices } from '../state/modelSettings';
import { matricesPathFor } from '../state/runs';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';
import { jobDefaults } from './jobDefaults';
import { rememberDataset } from './pickDataset';
import { askPruneChoices, budgetMethodLabel, PRUNE_METHODS } from './pruneChoices';
import { applyArgs, budgetText, choicesToRemember, pruneDefaults, pruneParams, withFinetuneDefault, type PruneChoices } from './pruneOptions';
import { trainingDataBeside } from './trainingData';

/** Methods that run the SFP analysis: their per-filter matrices are saved for the panel's heat maps. */
const SFP_METHODS: ReadonlySet<string> = new Set<PruneMethod>(['afcc', 'random-afcc', 'afcc-balanced', 'afcc-hybrid']);

/** Everything the prune flow asks, settable as command arguments (the same fields stored per model). */
export interface PruneModelArgs extends Omit<ModelChoices, 'compareMethods'> {
  model?: string | vscode.Uri;
  limit?: number;
  ifBusy?: 'ask' | 'cancel' | 'refuse';
  /** Show the quick-pick flow, starting from these choices (the editor's "Prune this layer…"). */
  ask?: boolean;
}

export async function pruneModel(deps: CommandDeps, ...args: unknown[]): Promise<JobOutcome<PruneReport> | undefined> {
  const { target, options } = commandInput<PruneModelArgs>(args);
  try {
    const refusal = refuseUntrusted('Prune Model');
    if (refusal) return { outcome: 'refused', message: refusal };
    const model = await resolveModel(deps, target, 'Model to prune');
    if (!model) return undefined;
    const defaults = pruneDefaults(await jobDefaults(deps, model.path), model);
    const start = options ? applyArgs(defaults, choiceArgs(options), model.path) : defaults;
    const choices = options && !options.ask ? start : await askPruneChoices(deps, model, start);
    if (!choices) return undefined;
    if (!choices.data) {
      return { outcome: 'refused', message: `No evaluation data for ${model.name}: pass \`data\` or run "Quench: Select Dataset for Model…" first.` };
    }
    // Called with arguments, fine-tuning nobody chose follows the same rule as in the flow.
    const chosen = withFinetuneDefault(choices as PruneChoices, (await trainingDataBeside(choices.data)) !== undefined);
    if (path.resolve(chosen.out) === path.resolve(model.path)) {
      return { outcome: 'refused', message: `The output ${chosen.out} is the model itself; Quench never writes over the original.` };
    }
    await deps.settings.update(model.path, choicesToRemember(chosen, model.path));
    await rememberDataset(deps, chosen.data);
    const label =
      chosen.maxDrop === null
        ? PRUNE_METHODS.find((m) => m.method === chosen.method)?.label ?? chosen.method
        : `${budgetText(chosen.maxDrop).toLowerCase()}, ${budgetMethodLabel(chosen.budgetMethod)}`;
    // The AFCC family analyses the layers first; its matrices let the panel draw each filter's heat map.
    const method = chosen.maxDrop === null ? chosen.method : chosen.budgetMethod;
    const afcc = method === 'auto' || SFP_METHODS.has(method);
    const matricesPath = afcc ? await matricesPathFor(model.path, 'prune') : undefined;
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

/** The arguments object's choices: its defined fields, without the model and the job's own settings. */
function choiceArgs(options: PruneModelArgs): Partial<PruneChoices> {
  const { model: _model, limit: _limit, ifBusy: _ifBusy, ask: _ask, ...choices } = options;
  return Object.fromEntries(Object.entries(choices).filter(([, v]) => v !== undefined)) as Partial<PruneChoices>;
}
