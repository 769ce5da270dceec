// The Prune Model… quick-pick flow: evaluation data, method, layers, fine-tuning, output, and an
// optional Advanced step. Every step starts from the model's remembered choice.
import * as vscode from 'vscode';
import type { PruneMethod } from '../../protocol/report';
import type { DiscoveredModel } from '../models/discovery';
import type { ModelChoices } from '../state/modelSettings';
import type { CommandDeps } from './deps';
import { pickDataset } from './pickDataset';
import { askNumber, pickLayers } from './pickers';

export const PRUNE_METHODS: { method: PruneMethod; label: string; detail: string; needsSparsity: boolean }[] = [
  { method: 'afcc', label: 'AFCC', detail: "Applied filter's cluster connections from the SFP analysis (the paper's method)", needsSparsity: false },
  { method: 'magnitude', label: 'Magnitude', detail: 'Smallest absolute weights in each targeted layer', needsSparsity: true },
  { method: 'global-magnitude', label: 'Global magnitude', detail: 'Smallest absolute weights across all targeted layers', needsSparsity: true },
  { method: 'l1-kernel', label: 'L1 kernel', detail: 'Whole kernels with the smallest L1 norm', needsSparsity: true },
  { method: 'random', label: 'Random', detail: 'Random connections (a control)', needsSparsity: true },
  { method: 'random-afcc', label: 'Random AFCC', detail: "AFCC's per-layer counts at random positions (a control)", needsSparsity: false },
];

export interface PruneChoices extends ModelChoices {
  data: string;
  method: PruneMethod;
  out: string;
  sparsity?: number;
}

export type PruneDefaults = Omit<PruneChoices, 'data'> & { data?: string };

export async function askPruneChoices(
  deps: CommandDeps,
  model: DiscoveredModel,
  defaults: PruneDefaults,
): Promise<PruneChoices | undefined> {
  const title = (step: number) => `Prune ${model.name} (${step}/6)`;
  const data = await pickDataset(deps, model, { kind: 'evaluation', current: defaults.data, title: title(1) });
  if (!data) return undefined;

  const methodPick = await vscode.window.showQuickPick(
    PRUNE_METHODS.map((m) => ({ label: m.label, detail: m.detail, picked: m.method === defaults.method, method: m, description: m.method === defaults.method ? 'last used' : undefined })).sort(
      (a, b) => Number(b.method.method === defaults.method) - Number(a.method.method === defaults.method),
    ),
    { title: title(2), placeHolder: 'Pruning method', ignoreFocusOut: true },
  );
  if (!methodPick) return undefined;
  const method = methodPick.method.method;
  let sparsity = defaults.sparsity;
  if (methodPick.method.needsSparsity) {
    sparsity = await askNumber({ title: title(2), prompt: 'Sparsity per targeted layer (fraction of weights set to zero)', value: sparsity ?? 0.8, min: 0, max: 0.999 });
    if (sparsity === undefined) return undefined;
  }

  const layers = await pickLayers(deps, model, defaults.layers, {
    title: title(3),
    placeHolder: 'Layers to prune; select none for the method default (AFCC: the deepest blocks and the output layer)',
  });
  if (!layers) return undefined;

  const trainData = await pickDataset(deps, model, { kind: 'training', current: defaults.trainData, title: title(4) });
  if (trainData === undefined) return undefined;
  let finetuneEpochs = 0;
  if (trainData) {
    const epochs = await askNumber({ title: title(4), prompt: 'Fine-tuning epochs after pruning (0 = none)', value: defaults.finetuneEpochs || 1, min: 0, max: 500, integer: true });
    if (epochs === undefined) return undefined;
    finetuneEpochs = epochs;
  }

  const outPick = await vscode.window.showQuickPick(
    [
      { label: `$(save) ${vscode.workspace.asRelativePath(defaults.out)}`, description: 'beside the original', out: defaults.out },
      { label: '$(folder-opened) Choose another location…', out: undefined },
    ],
    { title: title(5), placeHolder: 'Where to write the pruned model (never over the original)', ignoreFocusOut: true },
  );
  if (!outPick) return undefined;
  let out = outPick.out;
  if (!out) {
    out = (await vscode.window.showSaveDialog({ title: title(5), defaultUri: vscode.Uri.file(defaults.out), saveLabel: 'Write Pruned Model Here' }))?.fsPath;
    if (!out) return undefined;
  }

  const choices: PruneChoices = { ...defaults, data, method, sparsity, layers, trainData: trainData ?? undefined, finetuneEpochs, out };
  const start = await vscode.window.showQuickPick(
    [
      { label: '$(play) Start pruning', advanced: false },
      { label: '$(settings-gear) Advanced…', description: 'seed, readout epochs, cluster threshold or target sparsity', advanced: true },
    ],
    { title: title(6), ignoreFocusOut: true },
  );
  if (!start) return undefined;
  return start.advanced ? askAdvanced(choices, title(6)) : choices;
}

async function askAdvanced(choices: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  const seed = await askNumber({ title, prompt: 'Random seed (same seed, same result)', value: choices.seed ?? 1, min: 0, max: 2 ** 31 - 1, integer: true });
  if (seed === undefined) return undefined;
  const readoutEpochs = await askNumber({ title, prompt: 'Readout training epochs for the SFP analysis', value: choices.readoutEpochs ?? 5, min: 1, max: 200, integer: true });
  if (readoutEpochs === undefined) return undefined;
  if (choices.method !== 'afcc' && choices.method !== 'random-afcc') return { ...choices, seed, readoutEpochs };
  const mode = await vscode.window.showQuickPick(
    [
      { label: 'Cluster threshold', description: `currently ${choices.threshold ?? 0.3}`, target: false },
      { label: 'Target sparsity', description: 'search the threshold that reaches a sparsity', target: true },
    ],
    { title, placeHolder: 'How AFCC decides what to keep', ignoreFocusOut: true },
  );
  if (!mode) return undefined;
  if (mode.target) {
    const targetSparsity = await askNumber({ title, prompt: 'Target sparsity of the pruned layers (0..1)', value: choices.targetSparsity ?? 0.9, min: 0, max: 0.999 });
    return targetSparsity === undefined ? undefined : { ...choices, seed, readoutEpochs, targetSparsity, threshold: undefined };
  }
  const threshold = await askNumber({ title, prompt: 'Cluster threshold (METHOD.md §4; default 0.3)', value: choices.threshold ?? 0.3, min: 0, max: 1 });
  return threshold === undefined ? undefined : { ...choices, seed, readoutEpochs, threshold, targetSparsity: undefined };
}
