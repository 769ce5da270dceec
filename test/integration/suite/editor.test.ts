import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { workspaceRoot } from './helpers';

const exampleModel = () => path.join(workspaceRoot(), 'fashion-vgg', 'model.json');
const exampleH5 = () => path.join(workspaceRoot(), 'fashion-vgg', 'fashion-vgg.h5');

/** Polls a provider command until it yields something (the first call waits on an engine inspect). */
async function until<T>(get: () => Thenable<T[] | undefined>, timeoutMs = 120_000): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const items = (await get()) ?? [];
    if (items.length > 0 || Date.now() > end) return items;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function editorTests(): void {
  describe('layer stats in the editor', function () {
    before(function () {
      if (!fs.existsSync(exampleModel())) this.skip();
    });

    it('model.json shows a CodeLens per layer with its parameter count', async () => {
      const uri = vscode.Uri.file(exampleModel());
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const lenses = await until(() => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri));
      const titles = lenses.map((l) => l.command?.title ?? '');
      // conv1: 3·3·1·32 kernel + 32 biases; output: 1152·10 without bias.
      assert.ok(titles.some((t) => t.startsWith('320 params')), `no conv1 lens in ${JSON.stringify(titles)}`);
      assert.ok(titles.some((t) => t.startsWith('11,520 params')), `no output lens in ${JSON.stringify(titles)}`);
      assert.ok(lenses.every((l) => l.command?.command === 'quench.internal.showLayer'));
    });

    it('hovering a layer name in model.json shows its stats', async () => {
      const uri = vscode.Uri.file(exampleModel());
      const document = await vscode.workspace.openTextDocument(uri);
      const offset = document.getText().indexOf('"conv1"');
      assert.ok(offset > 0, 'conv1 is named in model.json');
      const hovers = await until(() => vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, document.positionAt(offset + 2)));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(text, /conv1/);
      assert.match(text, /320/);
    });

    it('a Keras .h5 opens in the read-only model summary editor', async function () {
      if (!fs.existsSync(exampleH5())) this.skip();
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(exampleH5()), 'quench.modelSummary');
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(tab?.input instanceof vscode.TabInputCustom, 'the active tab is a custom editor');
      assert.equal((tab.input as vscode.TabInputCustom).viewType, 'quench.modelSummary');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
}
