// The dataset step shared by Prune, Analyze, Compare, Evaluate, Sweep and Select Dataset: the
// model's remembered dataset, recently used ones, or a file/folder picker; for a 3-channel ONNX
// model the evaluation data's normalisation question follows (normalisation.ts).
import * as vscode from 'vscode';
import type { DiscoveredModel } from '../models/discovery';
import type { CommandDeps } from './deps';
import { confirmNormalisation, type NormalisationIo } from './normalisation';

const RECENT_KEY = 'quench.recentDatasets';
const RECENT_LIMIT = 8;
export const NO_DATASET = null;

type DatasetItem = vscode.QuickPickItem & { value?: string | null; browse?: 'file' | 'folder' };

export interface DatasetPickOptions {
  kind: 'evaluation' | 'training';
  current?: string;
  title: string;
}

/** The chosen path, `null` for "none" (training data only), or undefined when dismissed. */
export async function pickDataset(deps: CommandDeps, model: DiscoveredModel, options: DatasetPickOptions): Promise<string | null | undefined> {
  const chosen = await choose(deps, model, options);
  if (options.kind !== 'evaluation' || !chosen) return chosen;
  return (await confirmNormalisation(normalisationIo(deps), model, chosen)) ? chosen : undefined;
}

function normalisationIo(deps: CommandDeps): NormalisationIo {
  return {
    inputShape: async (modelPath) => (await deps.inspections.get(modelPath)).model.inputShape,
    descriptor: (params) => deps.engine.request('datasetDescriptor', params),
    pick: (items, options) => Promise.resolve(vscode.window.showQuickPick(items, { ...options, ignoreFocusOut: true })),
    relative: (file) => vscode.workspace.asRelativePath(file),
    info: (message) => deps.log.info(message),
    warn: (message) => deps.log.warn(message),
    error: (message) => void vscode.window.showErrorMessage(message),
  };
}

async function choose(deps: CommandDeps, model: DiscoveredModel, options: DatasetPickOptions): Promise<string | null | undefined> {
  const recent = deps.context.workspaceState.get<string[]>(RECENT_KEY, []);
  const items: DatasetItem[] = [];
  if (options.kind === 'training') {
    items.push({ label: '$(circle-slash) None', description: 'no fine-tuning after pruning', value: NO_DATASET });
  }
  const seen = new Set<string>();
  for (const [p, why] of [[options.current, `last used for ${model.name}`], ...recent.map((r) => [r, 'recently used'])] as const) {
    if (!p || seen.has(p)) continue;
    seen.add(p);
    items.push({ label: `$(history) ${vscode.workspace.asRelativePath(p)}`, description: why, value: p });
  }
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(file) Choose a file…', description: 'IDX images file, .npz/.npy, CIFAR batch', browse: 'file' },
    { label: '$(folder) Choose a folder…', description: 'IDX pair folder or image folder (one subfolder per class)', browse: 'folder' },
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: options.title,
    placeHolder: options.kind === 'evaluation' ? 'Evaluation data: the test set the accuracy is measured on' : 'Training data for fine-tuning (optional)',
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  if (!pick.browse) return pick.value;
  const [uri] =
    (await vscode.window.showOpenDialog({
      title: options.title,
      canSelectFiles: pick.browse === 'file',
      canSelectFolders: pick.browse === 'folder',
      canSelectMany: false,
      defaultUri: vscode.workspace.getWorkspaceFolder(model.uri)?.uri,
      openLabel: options.kind === 'evaluation' ? 'Use as Evaluation Data' : 'Use as Training Data',
    })) ?? [];
  return uri?.fsPath;
}

export async function rememberDataset(deps: CommandDeps, dataset: string): Promise<void> {
  const recent = deps.context.workspaceState.get<string[]>(RECENT_KEY, []).filter((p) => p !== dataset);
  await deps.context.workspaceState.update(RECENT_KEY, [dataset, ...recent].slice(0, RECENT_LIMIT));
}
