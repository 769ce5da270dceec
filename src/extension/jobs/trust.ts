// Jobs execute work on files from the workspace; an untrusted workspace may list and inspect
// models but runs no job. The refusal is returned at once and explained in a non-blocking message.
import * as vscode from 'vscode';

export function refuseUntrusted(what: string): string | undefined {
  if (vscode.workspace.isTrusted) return undefined;
  const message = `Quench runs no jobs in an untrusted workspace, so "${what}" did not start. Trust this workspace to prune, analyze or evaluate models; listing and inspecting work without trust.`;
  void vscode.window.showWarningMessage(message, 'Manage Workspace Trust').then((pick) => {
    if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return message;
}
