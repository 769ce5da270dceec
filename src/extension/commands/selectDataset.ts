// quench.selectDataset: binds evaluation (and optionally training) data to a model in .quench/models.json.
import type * as vscode from 'vscode';
import type { ModelChoices } from '../state/modelSettings';
import type { CommandDeps } from './deps';
import { commandInput, reportCommandError, resolveModel } from './input';
import { pickDataset, rememberDataset } from './pickDataset';

export interface SelectDatasetArgs {
  model?: string | vscode.Uri;
  data?: string;
  trainData?: string;
}

export async function selectDataset(deps: CommandDeps, ...args: unknown[]): Promise<ModelChoices | undefined> {
  const { target, options } = commandInput<SelectDatasetArgs>(args);
  try {
    const model = await resolveModel(deps, target, 'Model to bind a dataset to');
    if (!model) return undefined;
    const current = await deps.settings.get(model.path);
    let data = options?.data;
    let trainData = options?.trainData;
    if (!options) {
      data = (await pickDataset(deps, model, { kind: 'evaluation', current: current.data, title: `Data for ${model.name} (1/2)` })) ?? undefined;
      if (!data) return undefined;
      const training = await pickDataset(deps, model, { kind: 'training', current: current.trainData, title: `Data for ${model.name} (2/2)` });
      if (training === undefined) return undefined;
      trainData = training ?? undefined;
    }
    await deps.settings.update(model.path, { data, trainData });
    if (data) await rememberDataset(deps, data);
    return deps.settings.get(model.path);
  } catch (error) {
    reportCommandError(error);
    return undefined;
  }
}
