// The report panel: registerPanel() wires the controller and the serializer that brings the
// panel back (on its last run) after a window reload.
import * as vscode from 'vscode';
import type { PanelState } from '../../protocol/webview';
import type { PanelControllerApi } from '../services';
import { PanelController, type PanelDeps } from './controller';
import { REPORT_VIEW_TYPE } from './reportPanel';

export { buildWebviewHtml, webviewOptions } from './html';

export function registerPanel(context: vscode.ExtensionContext, deps: PanelDeps): PanelControllerApi {
  const controller = new PanelController(context.extensionUri, deps);
  context.subscriptions.push(
    controller,
    vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const runId = typeof (state as PanelState | undefined)?.runId === 'string' ? (state as PanelState).runId : undefined;
        controller.restore(panel, runId);
      },
    }),
  );
  return controller;
}
