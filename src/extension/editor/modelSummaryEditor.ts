// Binary .h5 / .keras / .onnx files open in a read-only summary (the layers table) with Prune and
// Analyze buttons, instead of VS Code's "binary file" notice. A model.json may open in it too
// (Open With…, or the lens of a one-line model.json): a second view type whose package.json
// priority is "option", so JSON files keep the text editor.
import * as vscode from 'vscode';
import { buildWebviewHtml, webviewOptions } from '../panel/html';
import { parseWebviewMessage } from '../panel/webviewMessages';
import type { InspectCache } from '../models/inspectCache';
import { MODEL_JSON_SUMMARY_VIEW_TYPE } from './modelJsonLenses';

export const MODEL_SUMMARY_VIEW_TYPE = 'quench.modelSummary';

const COMMANDS = { prune: 'quench.pruneModel', analyze: 'quench.analyzeModel', compare: 'quench.compareMethods' } as const;

export function registerModelSummaryEditor(context: vscode.ExtensionContext, inspect: InspectCache): vscode.Disposable {
  const provider: vscode.CustomReadonlyEditorProvider = {
    openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
    async resolveCustomEditor(document, panel) {
      panel.webview.options = webviewOptions(context.extensionUri);
      panel.webview.html = buildWebviewHtml(panel.webview, context.extensionUri, 'modelSummary', 'Model summary');
      const subscription = panel.webview.onDidReceiveMessage(async (raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (message?.type === 'ready') {
          try {
            const report = await inspect.get(document.uri.fsPath);
            void panel.webview.postMessage({ type: 'report', runId: `inspect:${document.uri.fsPath}`, report, history: [] });
          } catch (err) {
            void vscode.window.showErrorMessage(`Quench could not read ${document.uri.fsPath}: ${(err as Error).message}`);
          }
        } else if (message?.type === 'rerun') {
          await vscode.commands.executeCommand(COMMANDS[message.command], document.uri);
        }
      });
      panel.onDidDispose(() => subscription.dispose());
    },
  };
  return vscode.Disposable.from(
    vscode.window.registerCustomEditorProvider(MODEL_SUMMARY_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true }),
    vscode.window.registerCustomEditorProvider(MODEL_JSON_SUMMARY_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true }),
  );
}
