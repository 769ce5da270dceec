// Restricted mode. Runs when the host opened the workspace untrusted (a separate launch with
// workspace trust enabled); in a trusted launch these tests are skipped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { mnistModel, mnistTest } from './commands.test';
import { listModels, scratch } from './helpers';

export function untrustedTests(): void {
  describe('untrusted workspace', function () {
    before(function () {
      if (vscode.workspace.isTrusted) this.skip();
    });

    it('lists and inspects models', async () => {
      await vscode.commands.executeCommand('quench.refreshModels');
      const { models } = await listModels();
      assert.ok(models.some((m) => m.path === scratch('tiny', 'model.json')));
      const inspected = await vscode.commands.executeCommand<{ outcome: string }>('quench.inspectModel', { model: scratch('tiny', 'model.json'), show: false });
      assert.equal(inspected.outcome, 'done');
    });

    for (const command of ['quench.pruneModel', 'quench.analyzeModel', 'quench.compareMethods', 'quench.sweepModel', 'quench.evaluateModel']) {
      it(`${command} refuses and says why`, async () => {
        const out = scratch('untrusted', 'model.json');
        const result = await vscode.commands.executeCommand<{ outcome: string; message: string }>(command, { model: mnistModel(), data: mnistTest(), out, limit: 100 });
        assert.equal(result.outcome, 'refused');
        assert.match(result.message, /untrusted workspace/);
        assert.equal(fs.existsSync(out), false);
      });
    }
  });
}
