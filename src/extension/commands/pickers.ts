// Small pickers shared by the job commands: numbers and layers.
import * as vscode from 'vscode';
import type { DiscoveredModel } from '../models/discovery';
import type { CommandDeps } from './deps';

export interface NumberPrompt {
  title: string;
  prompt: string;
  value: number;
  min: number;
  max: number;
  integer?: boolean;
}

export async function askNumber(options: NumberPrompt): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title: options.title,
    prompt: options.prompt,
    value: String(options.value),
    ignoreFocusOut: true,
    validateInput: (value) => numberProblem(value, options),
  });
  return text === undefined ? undefined : Number(text);
}

export function numberProblem(value: string, options: Pick<NumberPrompt, 'min' | 'max' | 'integer'>): string | undefined {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) return 'Enter a number.';
  if (options.integer && !Number.isInteger(n)) return 'Enter a whole number.';
  if (n < options.min || n > options.max) return `Enter a number from ${options.min} to ${options.max}.`;
  return undefined;
}

/** Multi-select of the model's prunable layers (from inspect); [] means "the method's default". */
export async function pickLayers(
  deps: CommandDeps,
  model: DiscoveredModel,
  current: string[] | undefined,
  options: { title: string; placeHolder: string },
): Promise<string[] | undefined> {
  const report = await deps.inspections.get(model.path);
  const candidates = report.layers.filter((l) => l.analysable && l.params > 0);
  const picked = await vscode.window.showQuickPick(
    candidates.map((layer) => ({
      label: layer.name,
      description: `${layer.className} · ${layer.params.toLocaleString()} params${layer.filters !== null ? ` · ${layer.filters} filters` : ''}`,
      picked: current?.includes(layer.name) ?? false,
    })),
    { ...options, canPickMany: true, ignoreFocusOut: true },
  );
  return picked?.map((p) => p.label);
}
