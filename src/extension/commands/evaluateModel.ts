// quench.evaluateModel: top-1/top-5, per-class accuracy and the confusion matrix on a dataset.
import type * as vscode from 'vscode';
import type { EvalReport } from '../../protocol/report';
import type { JobOutcome } from '../jobs/runner';
import { refuseUntrusted } from '../jobs/trust';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';
import { pickDataset, rememberDataset } from './pickDataset';

export interface EvaluateModelArgs {
  model?: string | vscode.Uri;
  data?: string;
  limit?: number;
  ifBusy?: 'ask' | 'cancel' | 'refuse';
}

export async function evaluateModel(deps: CommandDeps, ...args: unknown[]): Promise<JobOutcome<EvalReport> | undefined> {
  const { target, options } = commandInput<EvaluateModelArgs>(args);
  try {
    const refusal = refuseUntrusted('Evaluate Model');
    if (refusal) return { outcome: 'refused', message: refusal };
    const model = await resolveModel(deps, target, 'Model to evaluate');
    if (!model) return undefined;
    let data = options?.data ?? (await deps.settings.get(model.path)).data;
    if (!options) {
      const picked = await pickDataset(deps, model, { kind: 'evaluation', current: data, title: `Evaluate ${model.name}` });
      if (!picked) return undefined;
      data = picked;
    }
    if (!data) return { outcome: 'refused', message: `No data for ${model.name}: pass \`data\` or select a dataset first.` };
    await deps.settings.update(model.path, { data });
    await rememberDataset(deps, data);
    return await deps.jobs.run({
      method: 'evaluate',
      params: { model: model.path, data, limit: options?.limit },
      modelPath: model.path,
      title: `Evaluating ${model.name}`,
      ifBusy: options?.ifBusy,
    });
  } catch (error) {
    return reportCommandError(error);
  }
}
