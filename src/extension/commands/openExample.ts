// quench.openExample: the bundled examples/ workspace, in a new window or added to this one.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandDeps } from './deps';

export interface OpenExampleArgs {
  mode?: 'newWindow' | 'addToWorkspace';
}

/** Returns the examples folder, or undefined when dismissed. */
export async function openExample(deps: CommandDeps, ...args: unknown[]): Promise<string | undefined> {
  const examples = vscode.Uri.file(path.join(deps.context.extensionPath, 'examples'));
  const open = vscode.workspace.workspaceFolders?.find((f) => f.uri.fsPath === examples.fsPath || examples.fsPath.startsWith(f.uri.fsPath + path.sep));
  if (open) {
    await vscode.commands.executeCommand('workbench.view.extension.quench');
    return examples.fsPath;
  }
  let mode = (args[0] as OpenExampleArgs | undefined)?.mode;
  if (!mode) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: '$(empty-window) Open in New Window', mode: 'newWindow' as const },
        { label: '$(root-folder) Add to Workspace', mode: 'addToWorkspace' as const },
      ],
      { placeHolder: 'The example workspace: a Fashion-MNIST VGG model with its data' },
    );
    mode = pick?.mode;
  }
  if (mode === 'newWindow') await vscode.commands.executeCommand('vscode.openFolder', examples, { forceNewWindow: true });
  else if (mode === 'addToWorkspace') {
    const at = vscode.workspace.workspaceFolders?.length ?? 0;
    vscode.workspace.updateWorkspaceFolders(at, 0, { uri: examples, name: 'Quench examples' });
  } else return undefined;
  return examples.fsPath;
}
