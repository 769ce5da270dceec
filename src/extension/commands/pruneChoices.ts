// The Prune Model… quick-pick flow: evaluation data, method, layers, then one last step that
// starts the job or changes the less common options (fine-tuning, removing dead filters, output
// format and place, advanced). Every step starts from the model's remembered choice
// (pruneOptions.ts), so a second run is four Enters.
import * as vscode from 'vscode';
import type { ModelFormat, PruneMethod } from '../../protocol/report';
import type { DiscoveredModel } from '../models/discovery';
import { defaultPrunedPath } from './defaultOutput';
import type { CommandDeps } from './deps';
import { pickDataset } from './pickDataset';
import { askNumber, pickLayers } from './pickers';
import { finetuneText, OUTPUT_FORMATS, pruneSummary, withFormat, withOutput, type PruneChoices, type PruneDefaults } from './pruneOptions';

export type { PruneChoices, PruneDefaults } from './pruneOptions';

export const PRUNE_METHODS: { method: PruneMethod; label: string; detail: string; needsSparsity: boolean }[] = [
  { method: 'afcc', label: 'AFCC', detail: "Applied filter's cluster connections from the SFP analysis (the paper's method)", needsSparsity: false },
  { method: 'magnitude', label: 'Magnitude', detail: 'Smallest absolute weights in each targeted layer', needsSparsity: true },
  { method: 'global-magnitude', label: 'Global magnitude', detail: 'Smallest absolute weights across all targeted layers', needsSparsity: true },
  { method: 'l1-kernel', label: 'L1 kernel', detail: 'Whole kernels with the smallest L1 norm', needsSparsity: true },
  { method: 'random', label: 'Random', detail: 'Random connections (a control)', needsSparsity: true },
  { method: 'random-afcc', label: 'Random AFCC', detail: "AFCC's per-layer counts at random positions (a control)", needsSparsity: false },
];

const STEPS = 4;
const relative = (p: string) => vscode.workspace.asRelativePath(p);

export async function askPruneChoices(deps: CommandDeps, model: DiscoveredModel, defaults: PruneDefaults): Promise<PruneChoices | undefined> {
  const title = (step: number) => `Prune ${model.name} (${step}/${STEPS})`;
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

  return startOrChange(deps, model, { ...defaults, data, method, sparsity, layers }, title(STEPS));
}

type Option = 'start' | 'finetune' | 'structured' | 'format' | 'output' | 'advanced';
type OptionItem = vscode.QuickPickItem & { option: Option };

/** The last step: Enter starts; picking an option changes it and comes back here. */
async function startOrChange(deps: CommandDeps, model: DiscoveredModel, initial: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  let choices = initial;
  for (;;) {
    const methodLabel = PRUNE_METHODS.find((m) => m.method === choices.method)?.label ?? choices.method;
    const formatLabel = OUTPUT_FORMATS.find((f) => f.format === choices.format)?.label ?? choices.format;
    const items: OptionItem[] = [
      { option: 'start', label: '$(play) Start pruning', detail: pruneSummary(choices, methodLabel, relative) },
      { option: 'finetune', label: '', kind: vscode.QuickPickItemKind.Separator },
      { option: 'finetune', label: '$(mortar-board) Fine-tuning…', description: finetuneText(choices, relative) },
      {
        option: 'structured',
        label: `${choices.structured ? '$(pass-filled)' : '$(circle-large-outline)'} Remove dead filters`,
        description: choices.structured ? 'on: a smaller, faster model file (--structured)' : 'off: zeros stay in place, the file keeps its shape',
      },
      { option: 'format', label: '$(file-binary) Output format…', description: `${formatLabel}${choices.format === model.format ? ' (same as the original)' : ''}` },
      { option: 'output', label: '$(save) Write to…', description: relative(choices.out) },
      { option: 'advanced', label: '$(settings-gear) Advanced…', description: advancedText(choices) },
    ];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'Enter starts pruning; pick an option to change it', ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.option === 'start') return choices;
    // Escape inside an option's own step comes back here with the choices as they were.
    choices = (await changeOption(deps, model, choices, pick.option, title)) ?? choices;
  }
}

function advancedText(c: PruneChoices): string {
  const parts = [`seed ${c.seed ?? 1}`, `readout ${c.readoutEpochs ?? 5} epochs`];
  if (c.method === 'afcc' || c.method === 'random-afcc') parts.push(c.targetSparsity !== undefined ? `target sparsity ${c.targetSparsity}` : `threshold ${c.threshold ?? 0.3}`);
  return parts.join(', ');
}

async function changeOption(deps: CommandDeps, model: DiscoveredModel, choices: PruneChoices, option: Exclude<Option, 'start'>, title: string): Promise<PruneChoices | undefined> {
  switch (option) {
    case 'structured':
      return { ...choices, structured: !choices.structured };
    case 'finetune':
      return askFinetune(deps, model, choices, title);
    case 'format':
      return askFormat(model, choices, title);
    case 'output':
      return askOutput(model, choices, title);
    case 'advanced':
      return askAdvanced(choices, title);
  }
}

async function askFinetune(deps: CommandDeps, model: DiscoveredModel, choices: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  const trainData = await pickDataset(deps, model, { kind: 'training', current: choices.trainData, title });
  if (trainData === undefined) return undefined;
  if (trainData === null) return { ...choices, finetuneEpochs: 0 };
  const epochs = await askNumber({ title, prompt: 'Fine-tuning epochs after pruning (0 = none)', value: choices.finetuneEpochs || 1, min: 0, max: 500, integer: true });
  return epochs === undefined ? undefined : { ...choices, trainData, finetuneEpochs: epochs };
}

async function askFormat(model: DiscoveredModel, choices: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  const pick = await vscode.window.showQuickPick(
    OUTPUT_FORMATS.map((f) => ({
      label: f.label,
      description: [f.format, f.format === model.format ? 'same as the original' : '', f.format === choices.format ? 'current' : ''].filter(Boolean).join(' · '),
      detail: f.detail,
      format: f.format as ModelFormat,
    })).sort((a, b) => Number(b.format === choices.format) - Number(a.format === choices.format)),
    { title, placeHolder: 'Format of the pruned model', ignoreFocusOut: true },
  );
  return pick ? withFormat(choices, model.path, pick.format) : undefined;
}

async function askOutput(model: DiscoveredModel, choices: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  const beside = defaultPrunedPath(model.path, choices.format);
  const pick = await vscode.window.showQuickPick(
    [
      { label: `$(save) ${relative(beside)}`, description: 'beside the original', out: beside },
      ...(choices.out !== beside ? [{ label: `$(history) ${relative(choices.out)}`, description: 'current', out: choices.out }] : []),
      { label: '$(folder-opened) Choose another location…', out: undefined },
    ],
    { title, placeHolder: 'Where to write the pruned model (never over the original)', ignoreFocusOut: true },
  );
  if (!pick) return undefined;
  if (pick.out) return withOutput(choices, pick.out);
  const uri = await vscode.window.showSaveDialog({ title, defaultUri: vscode.Uri.file(choices.out), saveLabel: 'Write Pruned Model Here' });
  return uri ? withOutput(choices, uri.fsPath) : undefined;
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
