// A model's remembered choices with the quench.* settings filled in where nothing is remembered.
import * as vscode from 'vscode';
import type { PruneMethod } from '../../protocol/report';
import type { CommandDeps } from './deps';
import { rememberedBudget, type JobDefaults } from './pruneOptions';

export async function jobDefaults(deps: CommandDeps, modelPath: string): Promise<JobDefaults> {
  const config = vscode.workspace.getConfiguration('quench');
  const remembered = await deps.settings.get(modelPath);
  const epochs = config.inspect<number>('finetuneEpochs');
  const epochsSet = [epochs?.globalValue, epochs?.workspaceValue, epochs?.workspaceFolderValue].some((v) => v !== undefined);
  return {
    ...remembered,
    maxDrop: rememberedBudget(remembered),
    finetuneUnset: remembered.finetuneEpochs === undefined && !epochsSet,
    method: remembered.method ?? config.get<PruneMethod>('defaultMethod', 'afcc'),
    readoutEpochs: remembered.readoutEpochs ?? config.get<number>('readoutEpochs', 5),
    finetuneEpochs: remembered.finetuneEpochs ?? config.get<number>('finetuneEpochs', 0),
  };
}
