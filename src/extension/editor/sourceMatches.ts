// Which layer of which model each constructor in a source file builds: the file's save paths link it
// to the workspace's discovered model files (any format); each constructor's name (explicit, or
// Keras's / TF.js's auto-name) picks the layer. Parses are cached per document version.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSourceLayers, type SourceLayers } from '../source';
import type { NamedLayerCall } from '../source/naming';
import { grammarsIn, languageOfFile, SourceParser, type SourceLanguage } from '../source/parser';
import { linkSavedModels } from '../source/savePaths';
import type { LayerFacts, ModelFacts } from './layerText';

export interface SourceLayerMatch {
  call: NamedLayerCall;
  layerName: string;
  range: vscode.Range;
  model: ModelFacts;
  layer: LayerFacts;
}

export interface SourceMatcherDeps {
  /** Paths of the workspace's model files (the discovery index). */
  modelPaths(): string[];
  /** Layer facts of one model (prune-run ordering needs the run list, hence two calls). */
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
    const named = code?.layers.filter((l): l is NamedLayerCall & { layerName: string } => l.layerName !== undefined) ?? [];
    if (!code || named.length === 0 || code.savePaths.length === 0) return [];
    const workspaceDirs = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const linked = linkSavedModels(code.savePaths, document.uri.fsPath, workspaceDirs, new Set(this.deps.modelPaths()));
    // One lens per constructor: a model with a prune run speaks first (its numbers are the news);
    // the same model saved in several formats is inspected only until every name is found.
    const withRuns = await Promise.all(linked.map((p) => this.deps.hasPruneRun(p)));
    const ordered = [...linked.filter((_, i) => withRuns[i]), ...linked.filter((_, i) => !withRuns[i])];
    const found = new Map<NamedLayerCall, SourceLayerMatch>();
    for (const modelPath of ordered) {
      const model = await this.deps.facts(modelPath);
      for (const call of named) {
        const layer = model?.layers.get(call.layerName);
        if (!model || !layer || found.has(call)) continue;
        found.set(call, { call, layerName: call.layerName, model, layer, range: new vscode.Range(document.positionAt(call.start), document.positionAt(call.end)) });
      }
      if (found.size === named.length) break;
    }
    return named.flatMap((call) => found.get(call) ?? []);
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
