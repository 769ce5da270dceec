// quench.sweepModel: top-1 against sparsity for several methods (the engine's sweep job), with the
// model's budget drawn as a line; the report opens in the panel. Quick picks: evaluation data,
// methods, the budget line; or fully from an arguments object { model, data, methods, sparsities,
// maxDrop, finetuneEpochs, trainData, limit }.
import * as vscode from 'vscode';
import type { PruneMethod, SweepReport } from '../../protocol/report';
import type { JobOutcome } from '../jobs/runner';
import { refuseUntrusted } from '../jobs/trust';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';
import { jobDefaults } from './jobDefaults';
import { pickDataset, rememberDataset } from './pickDataset';
import { askNumber } from './pickers';
import { PRUNE_METHODS } from './pruneChoices';
import { BUDGETS, DEFAULT_MAX_DROP } from './pruneOptions';

export interface SweepModelArgs {
  model?: string | vscode.Uri;
  data?: string;
  methods?: PruneMethod[];
  sparsities?: number[];
  /** Budget line (pp); null draws none. */
  maxDrop?: number | null;
  finetuneEpochs?: number;
  trainData?: string;
  seed?: number;
  limit?: number;
  ifBusy?: 'ask' | 'cancel' | 'refuse';
}

/** AFCC and its variants against magnitude, with random-AFCC as the control that says whether AFCC's choice of weights matters. */
export const DEFAULT_SWEEP_METHODS: PruneMethod[] = ['afcc', 'afcc-balanced', 'afcc-hybrid', 'magnitude', 'random-afcc'];

export async function sweepModel(deps: CommandDeps, ...args: unknown[]): Promise<JobOutcome<SweepReport> | undefined> {
  const { target, options } = commandInput<SweepModelArgs>(args);
  try {
    const refusal = refuseUntrusted('Sweep Accuracy vs Sparsity');
    if (refusal) return { outcome: 'refused', message: refusal };
    const model = await resolveModel(deps, target, 'Model to sweep');
    if (!model) return undefined;
    const defaults = await jobDefaults(deps, model.path);
    let data = options?.data ?? defaults.data;
    let methods = options?.methods ?? DEFAULT_SWEEP_METHODS;
    let maxDrop = options?.maxDrop !== undefined ? options.maxDrop : defaults.maxDrop ?? DEFAULT_MAX_DROP;
    if (!options) {
      const title = (step: number) => `Sweep ${model.name} (${step}/3)`;
      const picked = await pickDataset(deps, model, { kind: 'evaluation', current: data, title: title(1) });
      if (!picked) return undefined;
      data = picked;
      const chosen = await vscode.window.showQuickPick(
        PRUNE_METHODS.map((m) => ({ label: m.label, detail: m.detail, method: m.method, picked: methods.includes(m.method) })),
        { title: title(2), canPickMany: true, placeHolder: 'Methods to sweep (one curve each)', ignoreFocusOut: true },
      );
      if (!chosen || chosen.length === 0) return undefined;
      methods = chosen.map((c) => c.method);
      const line = await askBudgetLine(maxDrop, title(3));
      if (line === undefined) return undefined;
      maxDrop = line;
    }
    if (!data) return { outcome: 'refused', message: `No evaluation data for ${model.name}: pass \`data\` or run "Quench: Select Dataset for Model…" first.` };
    await deps.settings.update(model.path, { data });
    await rememberDataset(deps, data);
    const finetuneEpochs = options?.finetuneEpochs ?? 0;
    return await deps.jobs.run({
      method: 'sweep',
      params: {
        model: model.path,
        data,
        limit: options?.limit,
        methods,
        sparsities: options?.sparsities,
        seed: options?.seed ?? defaults.seed,
        readoutEpochs: defaults.readoutEpochs,
        maxDrop: maxDrop ?? undefined,
        finetune: finetuneEpochs > 0 ? { epochs: finetuneEpochs, trainData: options?.trainData ?? defaults.trainData } : undefined,
      },
      modelPath: model.path,
      title: `Sweeping ${methods.length} method${methods.length === 1 ? '' : 's'} on ${model.name}`,
      ifBusy: options?.ifBusy,
    });
  } catch (error) {
    return reportCommandError(error);
  }
}

/** The budget line drawn across the chart: the model's budget first, the others, or none. */
async function askBudgetLine(current: number | null, title: string): Promise<number | null | undefined> {
  const values = [...new Set([...(current === null ? [] : [current]), ...BUDGETS])];
  const pick = await vscode.window.showQuickPick(
    [
      ...values.map((v) => ({ label: `$(dash) Budget line at −${v} pp`, description: v === current ? 'the model\u2019s budget' : undefined, value: v as number | null, other: false })),
      { label: '$(edit) Another budget…', description: undefined, value: null, other: true },
      { label: '$(circle-slash) No budget line', description: undefined, value: null, other: false },
    ],
    { title, placeHolder: 'Which top-1 drop to draw across the chart', ignoreFocusOut: true },
  );
  if (!pick) return undefined;
  if (!pick.other) return pick.value;
  return askNumber({ title, prompt: 'Budget line, in percentage points below the unpruned top-1', value: current ?? DEFAULT_MAX_DROP, min: 0, max: 100 });
}
