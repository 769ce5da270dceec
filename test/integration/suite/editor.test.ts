import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionPath, scratch, workspaceRoot } from './helpers';
import { lensesOf, sourceLensTests, until } from './sourceLenses.test';

const exampleModel = () => path.join(workspaceRoot(), 'fashion-vgg', 'model.json');
const exampleH5 = () => path.join(workspaceRoot(), 'fashion-vgg', 'fashion-vgg.h5');

function activeCustomViewType(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom ? input.viewType : undefined;
}

export function editorTests(): void {
  describe('layer stats in the editor', function () {
    before(function () {
      if (!fs.existsSync(exampleModel())) this.skip();
    });
    afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

    it('a model.json written on one line gets exactly one lens, on line 1, that opens the model summary', async () => {
      const uri = vscode.Uri.file(exampleModel());
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const lenses = await until(() => lensesOf(uri));
      assert.equal(lenses.length, 1, JSON.stringify(lenses.map((l) => l.command?.title)));
      const [lens] = lenses;
      assert.equal(lens!.range.start.line, 0);
      assert.equal(lens!.command?.title, '23 layers · 299,744 params · open summary');
      assert.equal(lens!.command?.command, 'quench.internal.openModelSummary');
      await vscode.commands.executeCommand(lens!.command!.command, ...(lens!.command!.arguments ?? []));
      assert.equal(activeCustomViewType(), 'quench.modelJsonSummary');
    });

    it('model.json keeps the text editor: the summary is an Open With… option only', async () => {
      const uri = vscode.Uri.file(exampleModel());
      await vscode.commands.executeCommand('vscode.open', uri);
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(tab?.input instanceof vscode.TabInputText, `model.json opened in ${tab?.input?.constructor.name}`);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, uri.fsPath);
      const contribution = (packageJson().contributes.customEditors as { viewType: string; priority: string; selector: { filenamePattern: string }[] }[]).find((e) => e.viewType === 'quench.modelJsonSummary');
      assert.equal(contribution?.priority, 'option');
      assert.deepEqual(contribution?.selector, [{ filenamePattern: 'model.json' }]);
    });

    it('a model.json with one layer entry per line gets a lens per layer, with its name and parameter count', async () => {
      const file = scratch('multiline', 'model.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tiny = path.join(extensionPath(), 'test/fixtures/tiny');
      fs.writeFileSync(file, JSON.stringify(JSON.parse(fs.readFileSync(path.join(tiny, 'model.json'), 'utf8')), null, 2));
      fs.copyFileSync(path.join(tiny, 'group1-shard1of1.bin'), scratch('multiline', 'group1-shard1of1.bin'));
      const uri = vscode.Uri.file(file);
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const lenses = await until(() => lensesOf(uri));
      const titles = lenses.map((l) => l.command?.title ?? '');
      // conv1: 3·3·1·4 kernel + 4 biases; logits: 32·10.
      assert.ok(titles.includes('conv1 · 40 params'), JSON.stringify(titles));
      assert.ok(titles.includes('logits · 320 params'), JSON.stringify(titles));
      assert.equal(lenses.length, 10);
      assert.equal(new Set(lenses.map((l) => l.range.start.line)).size, 10, 'each lens on its own line');
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
      assert.equal(activeCustomViewType(), 'quench.modelSummary');
    });

    sourceLensTests();
  });
}

function packageJson(): { contributes: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(path.join(extensionPath(), 'package.json'), 'utf8'));
}
