// Layer statistics in the editor: CodeLens, hover and code actions on the lines of Python / JS / TS
// code that construct each layer (sourceMatches.ts), and on the layer entries of a model.json /
// Keras config.json (modelJsonLenses.ts); the read-only model summary editor.
import * as vscode from 'vscode';
import { InspectCache } from '../models/inspectCache';
import type { EngineClientApi, RunStoreApi } from '../services';
import { ModelFactsSource } from './facts';
import { hoverMarkdown, lensTitle } from './layerText';
import { locateModelJsonLayers } from './locate';
import { MODEL_JSON_SUMMARY_VIEW_TYPE, modelJsonLenses, OPEN_SUMMARY_COMMAND, SHOW_LAYER_COMMAND } from './modelJsonLenses';
import { registerModelSummaryEditor } from './modelSummaryEditor';
import { matchAt, SourceMatcher, type SourceLayerMatch } from './sourceMatches';

export interface EditorDeps {
  runs: RunStoreApi;
  engine: EngineClientApi;
  /** Shared with the Models view so a model is inspected once per change. */
  inspections: InspectCache;
  /** The discovered model files (ModelIndex): source files are linked to these. */
  models: { models(): { path: string }[]; readonly onDidChange: vscode.Event<void> };
  showLayer(modelPath: string, layer: string): Promise<void>;
}

const MODEL_TEXT = [{ pattern: '**/model.json' }, { pattern: '**/config.json' }];
const SOURCES = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact'].map((language) => ({ language, scheme: 'file' }));

export function registerEditorFeatures(context: vscode.ExtensionContext, deps: EditorDeps): vscode.Disposable {
  const inspect = deps.inspections;
  const changed = new vscode.EventEmitter<void>();
  const known = new ModelFactsSource(inspect, deps.runs);
  const facts = (modelPath: string) => known.facts(modelPath);
  const sources = new SourceMatcher(context.extensionPath, {
    modelPaths: () => deps.models.models().map((m) => m.path),
    facts,
    hasPruneRun: async (modelPath) => (await known.latestPrune(modelPath)) !== undefined,
  });
  const sourceMatches = (document: vscode.TextDocument): Promise<SourceLayerMatch[]> => sources.matches(document).catch(() => []);
  const isModelText = (document: vscode.TextDocument) => /(^|[\\/])(model|config)\.json$/i.test(document.fileName);

  const lensProvider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(document) {
      if (isModelText(document)) {
        // A config.json unpacked from a .keras has no weights beside it: lenses need a model Quench can inspect.
        const model = locateModelJsonLayers(document.getText()).length > 0 ? await facts(document.uri.fsPath) : undefined;
        return model ? modelJsonLenses(document, model) : [];
      }
      return (await sourceMatches(document)).flatMap((m) => {
        const title = lensTitle(m.layerName, m.layer, m.model.accuracyDelta);
        return title ? [new vscode.CodeLens(new vscode.Range(m.range.start, m.range.start), { title, command: SHOW_LAYER_COMMAND, arguments: [m.model.modelPath, m.layerName] })] : [];
      });
    },
  };

  const hoverProvider: vscode.HoverProvider = {
    async provideHover(document, position) {
      if (!isModelText(document)) {
        const match = matchAt(await sourceMatches(document), position);
        if (!match) return undefined;
        const markdown = hoverMarkdown(match.layerName, match.layer, { path: vscode.workspace.asRelativePath(match.model.modelPath), method: match.model.method, accuracyDelta: match.model.accuracyDelta });
        return new vscode.Hover(new vscode.MarkdownString(markdown), match.range);
      }
      const offset = document.offsetAt(position);
      const entry = locateModelJsonLayers(document.getText()).find((e) => offset >= e.nameOffset && offset <= e.nameOffset + e.name.length + 2);
      if (!entry) return undefined;
      const layer = (await facts(document.uri.fsPath))?.layers.get(entry.name);
      return layer ? new vscode.Hover(new vscode.MarkdownString(hoverMarkdown(entry.name, layer))) : undefined;
    },
  };

  const codeActions: vscode.CodeActionProvider = {
    async provideCodeActions(document, range) {
      if (isModelText(document)) {
        const action = new vscode.CodeAction('Quench: Inspect this model', vscode.CodeActionKind.Empty);
        action.command = { title: 'Inspect', command: 'quench.inspectModel', arguments: [document.uri] };
        return [action];
      }
      const match = matchAt(await sourceMatches(document), range.start);
      if (!match) return [];
      const { modelPath } = match.model;
      const prune = new vscode.CodeAction('Prune this layer…', vscode.CodeActionKind.Empty);
      prune.command = { title: `Prune ${match.layerName}…`, command: 'quench.pruneModel', arguments: [{ model: modelPath, layers: [match.layerName], ask: true }] };
      const show = new vscode.CodeAction('Show in Quench report', vscode.CodeActionKind.Empty);
      show.command = { title: `Show ${match.layerName} in the Quench report`, command: SHOW_LAYER_COMMAND, arguments: [modelPath, match.layerName] };
      return [prune, show];
    },
  };

  const disposables = vscode.Disposable.from(
    changed,
    vscode.commands.registerCommand(SHOW_LAYER_COMMAND, (modelPath: string, layer: string) => deps.showLayer(modelPath, layer)),
    vscode.commands.registerCommand(OPEN_SUMMARY_COMMAND, (uri: vscode.Uri) => vscode.commands.executeCommand('vscode.openWith', uri, MODEL_JSON_SUMMARY_VIEW_TYPE)),
    vscode.languages.registerCodeLensProvider([...MODEL_TEXT, ...SOURCES], lensProvider),
    vscode.languages.registerHoverProvider([...MODEL_TEXT, ...SOURCES], hoverProvider),
    vscode.languages.registerCodeActionsProvider([...MODEL_TEXT, ...SOURCES], codeActions),
    deps.runs.onDidChange(() => changed.fire()),
    deps.models.onDidChange(() => changed.fire()),
    vscode.workspace.onDidCloseTextDocument((d) => sources.forget(d)),
    vscode.workspace.onDidSaveTextDocument((d) => {
      inspect.forget(d.uri.fsPath);
      changed.fire();
    }),
    registerModelSummaryEditor(context, inspect),
  );
  context.subscriptions.push(disposables);
  return disposables;
}
