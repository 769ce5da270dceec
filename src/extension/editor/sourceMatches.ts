// Which layer of which model each constructor in a source file builds: the file's save paths link it
// to the workspace's discovered model files (any format); each constructor's name (explicit, or
// Keras's / TF.js's auto-name) picks the layer. Parses are cached per document version.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSourceLayers, type SourceLayers } from '../source';
import { matchCallsToModels, type NamedCall } from '../source/match';
import { grammarsIn, languageOfFile, SourceParser, type SourceLanguage } from '../source/parser';
import { linkSavedModels } from '../source/savePaths';
import type { LayerFacts, ModelFacts } from './layerText';

export interface SourceLayerMatch {
  call: NamedCall;
  layerName: string;
  range: vscode.Range;
  model: ModelFacts;
  layer: LayerFacts;
}

export interface SourceMatcherDeps {
  /** Paths of the workspace's model files (the discovery index). */
  modelPaths(): string[];
  /** Layer facts of one model, and whether it has a prune run (those models speak first). */
  facts(modelPath: string): Promise<ModelFacts | undefined>;
  hasPruneRun(modelPath: string): Promise<boolean>;
}

const LANGUAGE_IDS: Record<string, SourceLanguage> = { python: 'python', javascript: 'javascript', javascriptreact: 'javascript', typescript: 'typescript', typescriptreact: 'tsx' };
/** Larger files are generated or minified code, not a training script. */
const MAX_SOURCE_CHARS = 2_000_000;

export class SourceMatcher {
  private readonly parser: SourceParser;
  private readonly parsed = new Map<string, { version: number; layers: Promise<SourceLayers> }>();

  constructor(
    extensionPath: string,
    private readonly deps: SourceMatcherDeps,
  ) {
    this.parser = new SourceParser(grammarsIn(path.join(extensionPath, 'dist', 'tree-sitter')));
  }

  forget(document: vscode.TextDocument): void {
    this.parsed.delete(document.uri.toString());
  }

  /** Every constructor of the document matched to a layer of a model the document saves. */
  async matches(document: vscode.TextDocument): Promise<SourceLayerMatch[]> {
    if (document.uri.scheme !== 'file') return [];
    const code = await this.read(document);
    if (!code || code.savePaths.length === 0 || code.layers.every((l) => l.layerName === undefined)) return [];
    const workspaceDirs = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const linked = linkSavedModels(code.savePaths, document.uri.fsPath, workspaceDirs, new Set(this.deps.modelPaths()));
    const matches = await matchCallsToModels<LayerFacts, ModelFacts>(code.layers, linked, this.deps.hasPruneRun, this.deps.facts);
    return matches.map(({ call, model, layer }) => ({ call, layerName: call.layerName, model, layer, range: new vscode.Range(document.positionAt(call.start), document.positionAt(call.end)) }));
  }

  private read(document: vscode.TextDocument): Promise<SourceLayers | undefined> {
    const language = LANGUAGE_IDS[document.languageId] ?? languageOfFile(document.fileName);
    if (!language || document.getText().length > MAX_SOURCE_CHARS) return Promise.resolve(undefined);
    const key = document.uri.toString();
    const cached = this.parsed.get(key);
    if (cached?.version === document.version) return cached.layers;
    const layers = readSourceLayers(this.parser, document.getText(), language);
    this.parsed.set(key, { version: document.version, layers });
    layers.catch(() => this.parsed.delete(key));
    return layers;
  }
}

/** The innermost matched constructor at a position (`layers.Conv2D(...)` inside `...(x)`). */
export function matchAt(matches: readonly SourceLayerMatch[], position: vscode.Position): SourceLayerMatch | undefined {
  return matches.filter((m) => m.range.contains(position)).sort((a, b) => a.call.end - a.call.start - (b.call.end - b.call.start))[0];
}
