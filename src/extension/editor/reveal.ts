// Panel → editor: open the model's text file and put the cursor on the layer's entry.
import * as vscode from 'vscode';
import { locateModelJsonLayers } from './locate';

/** Model files whose layers live in a text file VS Code can open (model.json); binaries are skipped. */
export async function revealLayerInEditor(modelPath: string, layer: string): Promise<void> {
  if (!modelPath.toLowerCase().endsWith('.json')) return;
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(modelPath));
  const entry = locateModelJsonLayers(document.getText()).find((l) => l.name === layer);
  if (!entry) return;
  const position = document.positionAt(entry.nameOffset);
  const range = new vscode.Range(position, document.positionAt(entry.nameOffset + layer.length + 2));
  const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: true, selection: range });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
