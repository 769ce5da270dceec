// How a command learns its model and options: from an Explorer/editor URI, a Models view node, an
// arguments object ({ model, data, ... }) from tests or other extensions, the active editor, or a pick.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineErrorCode } from '../../protocol/engine';
import type { DiscoveredModel } from '../models/discovery';
import { modelDisplayName } from '../models/discovery';
import type { CommandDeps } from './deps';

export interface CommandInput<O> {
  target: unknown;
  /** Present when the caller passed an arguments object: then no picker is shown. */
  options: O | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) && !Array.isArray(value) && !('kind' in value);
}

export function commandInput<O extends { model?: string | vscode.Uri }>(args: unknown[]): CommandInput<O> {
  const [first, second] = args;
  if (isPlainObject(first)) return { target: (first as O).model, options: first as O };
  return { target: first, options: isPlainObject(second) ? (second as O) : undefined };
}

export class CommandError extends Error {}

/** The model a command acts on, or undefined when the person dismissed the pick. */
export async function resolveModel(deps: CommandDeps, target: unknown, placeHolder: string): Promise<DiscoveredModel | undefined> {
  const uri = targetUri(target) ?? activeModelUri(deps);
  if (uri) return confirmModel(deps, uri);
  await deps.index.whenIdle();
  const models = deps.index.models();
  if (models.length === 0) {
    throw new CommandError('No models found in this workspace. Quench opens TF.js model.json, Keras .h5 and .keras, and ONNX .onnx files.');
  }
  if (models.length === 1) return models[0];
  const pick = await vscode.window.showQuickPick(
    models.map((model) => ({ label: model.name, description: vscode.workspace.asRelativePath(model.uri), model })),
    { placeHolder, matchOnDescription: true },
  );
  return pick?.model;
}

function targetUri(target: unknown): vscode.Uri | undefined {
  if (target instanceof vscode.Uri) return target;
  if (typeof target === 'string' && target) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return vscode.Uri.file(path.isAbsolute(target) || !folder ? target : path.join(folder.uri.fsPath, target));
  }
  if (target && typeof target === 'object' && 'kind' in target && 'model' in target) {
    return (target as { model: DiscoveredModel }).model.uri;
  }
  return undefined;
}

function activeModelUri(deps: CommandDeps): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: unknown } | undefined;
  const uri = input?.uri instanceof vscode.Uri ? input.uri : undefined;
  return uri && deps.index.get(uri.fsPath) ? uri : undefined;
}

/** A discovered model, or the engine's verdict on a file discovery has not seen (yet). */
async function confirmModel(deps: CommandDeps, uri: vscode.Uri): Promise<DiscoveredModel> {
  const known = deps.index.get(uri.fsPath);
  if (known) return known;
  const [entry] = (await deps.engine.request('probe', { paths: [uri.fsPath] })).entries;
  if (!entry?.format) {
    throw new CommandError(`${uri.fsPath} is not a model Quench can open${entry?.reason ? `: ${entry.reason}` : ''}.`);
  }
  return { uri, path: uri.fsPath, name: modelDisplayName(uri.fsPath), format: entry.format, params: entry.params, bytes: entry.bytes };
}

/** Shows a command's failure as an error message and returns it as a value for callers. */
export function reportCommandError(error: unknown): { outcome: 'failed'; code: EngineErrorCode | 'bad-input'; message: string } {
  const message = (error as Error)?.message ?? String(error);
  void vscode.window.showErrorMessage(`Quench: ${message}`);
  return { outcome: 'failed', code: error instanceof CommandError ? 'bad-input' : ((error as { code?: EngineErrorCode }).code ?? 'internal'), message };
}
