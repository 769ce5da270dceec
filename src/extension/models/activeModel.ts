// The `quench.isModel` context key: true while the active editor tab shows a recognised model file.
import * as vscode from 'vscode';
import type { ModelIndex } from './discovery';

export function registerActiveModelContext(index: ModelIndex): vscode.Disposable {
  const update = (): void => {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: unknown } | undefined;
    const uri = input?.uri instanceof vscode.Uri ? input.uri : undefined;
    void vscode.commands.executeCommand('setContext', 'quench.isModel', Boolean(uri && index.get(uri.fsPath)));
  };
  update();
  return vscode.Disposable.from(vscode.window.tabGroups.onDidChangeTabs(update), vscode.window.tabGroups.onDidChangeTabGroups(update), index.onDidChange(update));
}
