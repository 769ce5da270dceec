import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension } from './helpers';

const PUBLIC_COMMANDS = [
  'quench.pruneModel',
  'quench.analyzeModel',
  'quench.compareMethods',
  'quench.sweepModel',
  'quench.inspectModel',
  'quench.evaluateModel',
  'quench.showReport',
  'quench.cancelJob',
  'quench.refreshModels',
  'quench.selectDataset',
  'quench.openExample',
];

export function activationTests(): void {
  describe('activation', () => {
    it('activates on a workspace with models and registers every command', async () => {
      const ext = extension();
      await ext.activate();
      assert.equal(ext.isActive, true);
      const registered = new Set(await vscode.commands.getCommands(true));
      for (const id of PUBLIC_COMMANDS) assert.ok(registered.has(id), `${id} is registered`);
      const declared = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
      for (const id of declared) assert.ok(registered.has(id), `declared ${id} has a handler`);
    });

    it('declares the Models view in its own activity-bar container with an icon', () => {
      const contributes = extension().packageJSON.contributes;
      const container = contributes.viewsContainers.activitybar.find((c: { id: string }) => c.id === 'quench');
      assert.ok(container, 'activity-bar container "quench"');
      assert.equal(container.icon, 'media/quench.svg');
      assert.ok(contributes.views.quench.some((v: { id: string }) => v.id === 'quench.models'));
      assert.ok(contributes.viewsWelcome.some((w: { view: string; contents: string }) => w.view === 'quench.models' && w.contents.includes('command:quench.openExample')));
    });
  });
}
