// The Prune Model… quick-pick flow. First the budget: "Keep top-1 within 0.5 pp" (recommended),
// 1 pp, 2 pp, or a fixed sparsity or threshold. Within a budget: evaluation data, then one last
// step that starts the job or changes the method (magnitude by default, as the CLI's), the objective, fine-tuning,
// removing dead filters, output format and place, advanced. At a fixed sparsity or threshold:
// evaluation data, method, layers, then the same last step. Every step starts from the model's
// remembered choice (pruneOptions.ts), so a second run is a few Enters.
import * as vscode from 'vscode';
import type { BudgetObjective, ModelFormat, PruneMethod } from '../../protocol/report';
import type { DiscoveredModel } from '../models/discovery';
import { defaultPrunedPath } from './defaultOutput';
import type { CommandDeps } from './deps';
import { pickDataset } from './pickDataset';
import { askNumber, pickLayers } from './pickers';
import {
  BUDGETS, budgetText, finetuneText, OBJECTIVES, OUTPUT_FORMATS, pruneSummary, withFinetuneDefault, withFormat, withOutput, type PruneChoices, type PruneDefaults,
} from './pruneOptions';
import { trainingDataBeside } from './trainingData';

export type { PruneChoices, PruneDefaults } from './pruneOptions';

export const PRUNE_METHODS: { method: PruneMethod; label: string; detail: string; needsSparsity: boolean }[] = [
  { method: 'afcc', label: 'AFCC', detail: "Applied filter's cluster connections from the SFP analysis (the paper's method)", needsSparsity: false },
  { method: 'afcc-balanced', label: 'AFCC, class-balanced', detail: 'AFCC with every class held by the same share of each layer\'s filters (per-class thresholds)', needsSparsity: false },
  { method: 'afcc-hybrid', label: 'AFCC + magnitude', detail: 'Smallest weights among the connections AFCC cuts; the strongest label-set links always stay', needsSparsity: true },
  { method: 'afcc-balanced', label: 'AFCC class-balanced', detail: "AFCC with every class held by the same share of each layer's filters, at a per-layer sparsity", needsSparsity: true },
  { method: 'afcc-hybrid', label: 'AFCC hybrid', detail: 'Magnitude among the connections AFCC cuts, at a per-layer sparsity', needsSparsity: true },
  { method: 'magnitude', label: 'Magnitude', detail: 'Smallest absolute weights in each targeted layer', needsSparsity: true },
  { method: 'global-magnitude', label: 'Global magnitude', detail: 'Smallest absolute weights across all targeted layers', needsSparsity: true },
  { method: 'l1-kernel', label: 'L1 kernel', detail: 'Whole kernels with the smallest L1 norm', needsSparsity: true },
  { method: 'random', label: 'Random', detail: 'Random connections (a control)', needsSparsity: true },
  { method: 'random-afcc', label: 'Random AFCC', detail: "AFCC's per-layer counts at random positions (a control)", needsSparsity: false },
];

/** Methods a budget can run (every mask method with a per-layer sparsity): auto tries the AFCC family and magnitude and keeps the best verified one. */
export const BUDGET_METHODS: { method: PruneMethod | 'auto'; label: string; detail: string }[] = [
  { method: 'auto', label: 'Auto', detail: 'AFCC, its class-balanced and hybrid variants and magnitude under the same budget; the best verified result is kept and the report says by how much it won (about four times the time)' },
  { method: 'afcc', label: 'AFCC', detail: "Applied filter's cluster connections from the SFP analysis, per-layer sparsities from the budget" },
  { method: 'afcc-balanced', label: 'AFCC class-balanced', detail: "AFCC with every class held by the same share of each layer's filters" },
  { method: 'afcc-hybrid', label: 'AFCC hybrid', detail: 'Magnitude among the connections AFCC cuts' },
  { method: 'magnitude', label: 'Magnitude', detail: 'Smallest absolute weights, per-layer sparsities from the budget' },
  { method: 'l1-kernel', label: 'L1 kernel', detail: 'Whole kernels with the smallest L1 norm' },
  { method: 'random-afcc', label: 'Random AFCC', detail: "AFCC's per-layer counts at random positions (a control)" },
];

export function budgetMethodLabel(method: PruneMethod | 'auto'): string {
  return BUDGET_METHODS.find((m) => m.method === method)?.label ?? PRUNE_METHODS.find((m) => m.method === method)?.label ?? method;
}

const relative = (p: string) => vscode.workspace.asRelativePath(p);
const stepsOf = (maxDrop: number | null) => (maxDrop === null ? 5 : 3);

export async function askPruneChoices(deps: CommandDeps, model: DiscoveredModel, defaults: PruneDefaults): Promise<PruneChoices | undefined> {
  const maxDrop = await askBudget(defaults.maxDrop, `Prune ${model.name} (1/${stepsOf(defaults.maxDrop)})`);
  if (maxDrop === undefined) return undefined;
  const steps = stepsOf(maxDrop);
  const title = (step: number) => `Prune ${model.name} (${step}/${steps})`;
  const data = await pickDataset(deps, model, { kind: 'evaluation', current: defaults.data, title: title(2) });
  if (!data) return undefined;
  if (maxDrop !== null) {
    const choices = withFinetuneDefault({ ...defaults, data, maxDrop }, (await trainingDataBeside(data)) !== undefined);
    return startOrChange(deps, model, choices, title(steps));
  }

  const methodPick = await vscode.window.showQuickPick(
    PRUNE_METHODS.map((m) => ({ label: m.label, detail: m.detail, picked: m.method === defaults.method, method: m, description: m.method === defaults.method ? 'last used' : undefined })).sort(
      (a, b) => Number(b.method.method === defaults.method) - Number(a.method.method === defaults.method),
    ),
    { title: title(3), placeHolder: 'Pruning method', ignoreFocusOut: true },
  );
  if (!methodPick) return undefined;
  const method = methodPick.method.method;
  // A method that does not ask for a sparsity does not inherit one remembered from another method:
  // afcc-balanced and random-afcc would prune to it instead of following their threshold.
  let sparsity: number | undefined;
  if (methodPick.method.needsSparsity) {
    sparsity = await askNumber({ title: title(3), prompt: 'Sparsity per targeted layer (fraction of weights set to zero)', value: defaults.sparsity ?? 0.8, min: 0, max: 0.999 });
    if (sparsity === undefined) return undefined;
  }

  const layers = await pickLayers(deps, model, defaults.layers, {
    title: title(4),
    placeHolder: 'Layers to prune; select none for the method default (AFCC: the deepest blocks and the output layer)',
  });
  if (!layers) return undefined;

  return startOrChange(deps, model, { ...defaults, data, maxDrop, method, sparsity, layers }, title(steps));
}

type BudgetItem = vscode.QuickPickItem & { maxDrop?: number | null; other?: true };

/** The first question: how much top-1 may pruning cost (pp), or null for a fixed sparsity or threshold. */
async function askBudget(current: number | null, title: string): Promise<number | null | undefined> {
  const budgets: number[] = [...BUDGETS];
  if (current !== null && !budgets.includes(current)) budgets.push(current);
  const items: BudgetItem[] = [
    ...budgets.map((maxDrop, i): BudgetItem => ({
      label: `$(shield) Keep top-1 within ${maxDrop} pp`,
      description: [i === 0 ? 'recommended' : '', maxDrop === current ? 'last used' : ''].filter(Boolean).join(' · ') || undefined,
      detail: i === 0 ? 'Prunes as much as keeps held-out top-1 within the budget: sensitivity scan, per-layer allocation, fine-tuning, verified on data the search never saw' : undefined,
      maxDrop,
    })),
    { label: '$(edit) Another budget…', detail: 'Any number of percentage points', other: true },
    { label: '$(settings) A fixed sparsity or threshold…', description: current === null ? 'last used' : undefined, detail: 'Choose the method (AFCC, magnitude, …), its sparsity or threshold and the layers yourself', maxDrop: null },
  ];
  const pick = await vscode.window.showQuickPick(items.sort((a, b) => Number(b.maxDrop === current && !b.other) - Number(a.maxDrop === current && !a.other)), {
    title,
    placeHolder: 'How much top-1 accuracy may pruning cost?',
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  if (!pick.other) return pick.maxDrop ?? null;
  return askNumber({ title, prompt: 'Largest drop of held-out top-1 you accept, in percentage points', value: current ?? 0.5, min: 0, max: 100 });
}

type Option = 'start' | 'method' | 'objective' | 'finetune' | 'structured' | 'format' | 'output' | 'advanced';
type OptionItem = vscode.QuickPickItem & { option: Option };

/** The last step: Enter starts; picking an option changes it and comes back here. */
async function startOrChange(deps: CommandDeps, model: DiscoveredModel, initial: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  let choices = initial;
  for (;;) {
    const budget = choices.maxDrop !== null;
    const methodLabel = budget ? budgetMethodLabel(choices.budgetMethod) : PRUNE_METHODS.find((m) => m.method === choices.method)?.label ?? choices.method;
    const formatLabel = OUTPUT_FORMATS.find((f) => f.format === choices.format)?.label ?? choices.format;
    const objectiveLabel = OBJECTIVES.find((o) => o.objective === choices.objective)?.label ?? choices.objective;
    const items: OptionItem[] = [
      { option: 'start', label: '$(play) Start pruning', detail: pruneSummary(choices, methodLabel, relative) },
      { option: 'finetune', label: '', kind: vscode.QuickPickItemKind.Separator },
      ...(budget
        ? [
            { option: 'method' as const, label: '$(beaker) Method…', description: methodLabel },
            { option: 'objective' as const, label: '$(target) Maximise the removal of…', description: objectiveLabel },
          ]
        : []),
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
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: `${budgetText(choices.maxDrop)}: Enter starts pruning; pick an option to change it`, ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.option === 'start') return choices;
    // Escape inside an option's own step comes back here with the choices as they were.
    choices = (await changeOption(deps, model, choices, pick.option, title)) ?? choices;
  }
}

function advancedText(c: PruneChoices): string {
  const parts = [`seed ${c.seed ?? 1}`, `readout ${c.readoutEpochs ?? 5} epochs`];
  if (c.maxDrop === null && (c.method === 'afcc' || c.method === 'random-afcc' || c.method === 'afcc-balanced')) parts.push(c.targetSparsity !== undefined ? `target sparsity ${c.targetSparsity}` : `threshold ${c.threshold ?? 0.3}`);
  return parts.join(', ');
}

async function changeOption(deps: CommandDeps, model: DiscoveredModel, choices: PruneChoices, option: Exclude<Option, 'start'>, title: string): Promise<PruneChoices | undefined> {
  switch (option) {
    case 'method':
      return askBudgetMethod(choices, title);
    case 'objective':
      return askObjective(choices, title);
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
  // The cluster threshold decides AFCC's masks, random AFCC's label-set size and afcc-balanced's channels per class.
  if (choices.maxDrop !== null || (choices.method !== 'afcc' && choices.method !== 'random-afcc' && choices.method !== 'afcc-balanced')) return { ...choices, seed, readoutEpochs };
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

async function askBudgetMethod(choices: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  const pick = await vscode.window.showQuickPick(
    BUDGET_METHODS.map((m) => ({ label: m.label, detail: m.detail, description: m.method === choices.budgetMethod ? 'current' : undefined, method: m.method })).sort(
      (a, b) => Number(b.method === choices.budgetMethod) - Number(a.method === choices.budgetMethod),
    ),
    { title, placeHolder: `Method within ${choices.maxDrop} pp`, ignoreFocusOut: true },
  );
  return pick ? { ...choices, budgetMethod: pick.method } : undefined;
}

async function askObjective(choices: PruneChoices, title: string): Promise<PruneChoices | undefined> {
  const pick = await vscode.window.showQuickPick(
    OBJECTIVES.map((o) => ({ label: o.label, detail: o.detail, description: o.objective === choices.objective ? 'current' : undefined, objective: o.objective as BudgetObjective })).sort(
      (a, b) => Number(b.objective === choices.objective) - Number(a.objective === choices.objective),
    ),
    { title, placeHolder: 'What the budget should remove the most of', ignoreFocusOut: true },
  );
  return pick ? { ...choices, objective: pick.objective } : undefined;
}
