// Layer statistics in the editor: CodeLens and hover above each layer entry of a model.json /
// Keras config.json, the same lens on source lines that name a layer, and an Inspect code action.
import path from 'node:path';
import * as vscode from 'vscode';
import type { InspectReport, PruneReport } from '../../protocol/report';
import { InspectCache } from '../models/inspectCache';
import type { EngineClientApi, RunStoreApi } from '../services';
import { hoverMarkdown, lensTitle, type LayerFacts } from './layerText';
import { locateModelJsonLayers, locateSourceLayerNames } from './locate';
import { registerModelSummaryEditor } from './modelSummaryEditor';

export interface EditorDeps {
  runs: RunStoreApi;
  engine: EngineClientApi;
  /** Shared with the Models view so a model is inspected once per change. */
  inspections: InspectCache;
  showLayer(modelPath: string, layer: string): Promise<void>;
}

const SHOW_LAYER_COMMAND = 'quench.internal.showLayer';
const MODEL_TEXT = [{ pattern: '**/model.json' }, { pattern: '**/config.json' }];
const SOURCES = [{ language: 'python' }, { language: 'javascript' }, { language: 'typescript' }];

interface ModelFacts {
  modelPath: string;
  method?: string;
  layers: Map<string, LayerFacts>;
}

export function registerEditorFeatures(context: vscode.ExtensionContext, deps: EditorDeps): vscode.Disposable {
  const inspect = deps.inspections;
  const changed = new vscode.EventEmitter<void>();

  async function factsFor(modelPath: string): Promise<ModelFacts | undefined> {
    const report: InspectReport | undefined = await inspect.get(modelPath).catch(() => undefined);
    const latest = await deps.runs.latest(modelPath).catch(() => undefined);
    const last = latest && latest.kind === 'prune' ? ((await deps.runs.read(latest.id).catch(() => undefined)) as PruneReport | undefined) : undefined;
    if (!report && !last) return undefined;
    const layers = new Map<string, LayerFacts>();
    for (const l of report?.layers ?? []) layers.set(l.name, { inspect: l });
    for (const l of last?.layers ?? []) layers.set(l.name, { ...layers.get(l.name), pruned: l });
    return { modelPath, method: last?.method, layers };
  }

  /** Models a source file may refer to: every model.json in the workspace plus the stored runs' models. */
  async function workspaceModels(): Promise<string[]> {
    const files = await vscode.workspace.findFiles('**/model.json', '**/{node_modules,.quench}/**', 20);
    const runs = await deps.runs.list().catch(() => []);
    return [...new Set([...files.map((f) => f.fsPath), ...runs.map((r) => r.modelPath)])];
  }

  const lensProvider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(document) {
      const isModelText = /(^|[\\/])(model|config)\.json$/i.test(document.fileName);
      const lenses: vscode.CodeLens[] = [];
      if (isModelText) {
        const entries = locateModelJsonLayers(document.getText());
        if (!entries.length) return [];
        // A Keras config.json opened from an unpacked .keras has no weights beside it: lenses need a model Quench can inspect.
        const facts = await factsFor(document.uri.fsPath);
        if (!facts) return [];
        for (const e of entries) {
          const title = lensTitle(facts.layers.get(e.name) ?? {}, facts.method);
          if (!title) continue;
          const at = document.positionAt(e.offset);
          lenses.push(new vscode.CodeLens(new vscode.Range(at, at), { title, command: SHOW_LAYER_COMMAND, arguments: [facts.modelPath, e.name] }));
        }
        return lenses;
      }
      if (!/\bname\s*[=:]/.test(document.getText())) return [];
      for (const modelPath of await workspaceModels()) {
        const facts = await factsFor(modelPath);
        if (!facts) continue;
        for (const m of locateSourceLayerNames(document.getText(), new Set(facts.layers.keys()))) {
          const title = lensTitle(facts.layers.get(m.name) ?? {}, facts.method);
          if (!title) continue;
          const at = new vscode.Position(m.line, 0);
          lenses.push(new vscode.CodeLens(new vscode.Range(at, at), { title: `${path.basename(path.dirname(modelPath))}/${m.name}: ${title}`, command: SHOW_LAYER_COMMAND, arguments: [modelPath, m.name] }));
        }
      }
      return lenses;
    },
  };

  const hoverProvider: vscode.HoverProvider = {
    async provideHover(document, position) {
      const offset = document.offsetAt(position);
      const entry = locateModelJsonLayers(document.getText()).find((e) => offset >= e.nameOffset && offset <= e.nameOffset + e.name.length + 2);
      if (!entry) return undefined;
      const facts = await factsFor(document.uri.fsPath);
      const layer = facts?.layers.get(entry.name);
      return layer ? new vscode.Hover(new vscode.MarkdownString(hoverMarkdown(entry.name, layer))) : undefined;
    },
  };

  const codeActions: vscode.CodeActionProvider = {
    provideCodeActions(document) {
      const action = new vscode.CodeAction('Quench: Inspect this model', vscode.CodeActionKind.Empty);
      action.command = { title: 'Inspect', command: 'quench.inspectModel', arguments: [document.uri] };
      return [action];
    },
  };

  const disposables = vscode.Disposable.from(
    changed,
    vscode.commands.registerCommand(SHOW_LAYER_COMMAND, (modelPath: string, layer: string) => deps.showLayer(modelPath, layer)),
    vscode.languages.registerCodeLensProvider([...MODEL_TEXT, ...SOURCES], lensProvider),
    vscode.languages.registerHoverProvider(MODEL_TEXT, hoverProvider),
    vscode.languages.registerCodeActionsProvider(MODEL_TEXT, codeActions),
    deps.runs.onDidChange(() => changed.fire()),
    vscode.workspace.onDidSaveTextDocument((d) => {
      inspect.forget(d.uri.fsPath);
      changed.fire();
    }),
    registerModelSummaryEditor(context, inspect),
  );
  context.subscriptions.push(disposables);
  return disposables;
}
