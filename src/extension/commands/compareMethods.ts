// quench.compareMethods: AFCC against the baselines at the same per-layer sparsity.
import * as vscode from 'vscode';
import type { CompareReport, PruneMethod } from '../../protocol/report';
import type { JobOutcome } from '../jobs/runner';
import { refuseUntrusted } from '../jobs/trust';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';
import { jobDefaults } from './jobDefaults';
import { pickDataset, rememberDataset } from './pickDataset';
import { pickLayers } from './pickers';
import { PRUNE_METHODS } from './pruneChoices';

export interface CompareMethodsArgs {
  model?: string | vscode.Uri;
  data?: string;
  methods?: PruneMethod[];
  layers?: string[];
  targetSparsity?: number;
  threshold?: number;
  seed?: number;
  readoutEpochs?: number;
  finetuneEpochs?: number;
  trainData?: string;
  limit?: number;
  ifBusy?: 'ask' | 'cancel' | 'refuse';
}

const DEFAULT_METHODS: PruneMethod[] = ['afcc', 'magnitude', 'l1-kernel', 'random', 'random-afcc'];

export async function compareMethods(deps: CommandDeps, ...args: unknown[]): Promise<JobOutcome<CompareReport> | undefined> {
  const { target, options } = commandInput<CompareMethodsArgs>(args);
  try {
    const refusal = refuseUntrusted('Compare Pruning Methods');
    if (refusal) return { outcome: 'refused', message: refusal };
    const model = await resolveModel(deps, target, 'Model to compare methods on');
    if (!model) return undefined;
    const defaults = await jobDefaults(deps, model.path);
    let data = options?.data ?? defaults.data;
    let methods = options?.methods ?? defaults.compareMethods ?? DEFAULT_METHODS;
    let layers = options?.layers ?? defaults.layers;
    if (!options) {
      const title = (step: number) => `Compare methods on ${model.name} (${step}/3)`;
      const picked = await pickDataset(deps, model, { kind: 'evaluation', current: data, title: title(1) });
      if (!picked) return undefined;
      data = picked;
      const chosen = await vscode.window.showQuickPick(
        PRUNE_METHODS.map((m) => ({ label: m.label, detail: m.detail, method: m.method, picked: methods.includes(m.method) })),
        { title: title(2), canPickMany: true, placeHolder: 'Methods to compare (AFCC sets the per-layer sparsity the others match)', ignoreFocusOut: true },
      );
      if (!chosen || chosen.length === 0) return undefined;
      methods = chosen.map((c) => c.method);
      layers = await pickLayers(deps, model, layers, { title: title(3), placeHolder: 'Layers to prune; select none for the AFCC default' });
      if (!layers) return undefined;
    }
    if (!data) return { outcome: 'refused', message: `No data for ${model.name}: pass \`data\` or select a dataset first.` };
    await deps.settings.update(model.path, { data, compareMethods: methods });
    await rememberDataset(deps, data);
    const finetuneEpochs = options?.finetuneEpochs ?? 0;
    return await deps.jobs.run({
      method: 'compare',
      params: {
        model: model.path,
        data,
        limit: options?.limit,
        methods,
        layers: layers?.length ? layers : undefined,
        targetSparsity: options?.targetSparsity ?? defaults.targetSparsity,
        threshold: options?.threshold ?? defaults.threshold,
        seed: options?.seed ?? defaults.seed,
        readoutEpochs: options?.readoutEpochs ?? defaults.readoutEpochs,
        finetune: finetuneEpochs > 0 ? { epochs: finetuneEpochs, trainData: options?.trainData ?? defaults.trainData } : undefined,
      },
      modelPath: model.path,
      title: `Comparing ${methods.length} methods on ${model.name}`,
      ifBusy: options?.ifBusy,
    });
  } catch (error) {
    return reportCommandError(error);
  }
}
