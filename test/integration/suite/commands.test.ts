import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { publicFixture, scratch, workspaceRoot } from './helpers';

interface Outcome {
  outcome: string;
  message?: string;
  report?: Record<string, unknown> & { kind: string };
  run?: { id: string; file: string };
}

export const mnistModel = () => publicFixture('mnist-tfjs-small', 'model.json');
export const mnistTest = () => publicFixture('mnist-test');
/** Where the public fixtures beside the repository are absent (a plain clone elsewhere), say so and skip. */
export const publicAbsent = (): string | null => (fs.existsSync(mnistModel()) ? null : `${publicFixture()} is absent`);
/** A test that needs the public fixtures: skipped, with the reason in its title, where they are absent. */
const itPublic = (title: string, fn: Mocha.AsyncFunc): Mocha.Test => (publicAbsent() ? it.skip(`${title} (skipped: ${publicAbsent()})`, fn) : it(title, fn));

export function commandTests(): void {
  describe('commands with arguments', function () {
    before(function () {
      if (!vscode.workspace.isTrusted) this.skip();
    });

    it('quench.inspectModel returns the layers and saves the run', async () => {
      const result = await vscode.commands.executeCommand<Outcome>('quench.inspectModel', { model: scratch('tiny', 'model.json'), show: false });
      assert.equal(result.outcome, 'done', result.message);
      assert.equal(result.report?.kind, 'inspect');
      assert.ok((result.report?.layers as unknown[]).length > 0);
      assert.ok(fs.existsSync(result.run!.file));
    });

    itPublic('quench.selectDataset remembers the data in .quench/models.json', async () => {
      const choices = await vscode.commands.executeCommand<{ data?: string }>('quench.selectDataset', { model: mnistModel(), data: mnistTest() });
      assert.equal(choices.data, mnistTest());
      const stored = JSON.parse(fs.readFileSync(path.join(workspaceRoot(), '.quench', 'models.json'), 'utf8'));
      assert.ok(Object.values(stored).some((c) => (c as { data?: string }).data === mnistTest()));
    });

    itPublic('quench.evaluateModel measures the public MNIST model', async () => {
      const result = await vscode.commands.executeCommand<Outcome>('quench.evaluateModel', { model: mnistModel(), data: mnistTest(), limit: 500 });
      assert.equal(result.outcome, 'done', result.message);
      const top1 = (result.report!.accuracy as { top1: number }).top1;
      assert.ok(top1 > 0.95, `top-1 ${top1}`);
    });

    itPublic('quench.analyzeModel returns the SFP section', async () => {
      const result = await vscode.commands.executeCommand<Outcome>('quench.analyzeModel', { model: mnistModel(), data: mnistTest(), limit: 300, readoutEpochs: 1 });
      assert.equal(result.outcome, 'done', result.message);
      assert.equal(result.report?.kind, 'analyze');
      assert.ok(((result.report!.sfp as { layers: unknown[] }).layers).length > 0);
    });

    itPublic('quench.compareMethods compares the requested methods', async () => {
      const result = await vscode.commands.executeCommand<Outcome>('quench.compareMethods', {
        model: mnistModel(),
        data: mnistTest(),
        limit: 300,
        readoutEpochs: 1,
        methods: ['afcc', 'magnitude'],
      });
      assert.equal(result.outcome, 'done', result.message);
      const rows = result.report!.rows as { method: string }[];
      assert.deepEqual(rows.map((r) => r.method).sort(), ['afcc', 'magnitude']);
    });

    itPublic('quench.showReport opens a stored run by id', async () => {
      const inspected = await vscode.commands.executeCommand<Outcome>('quench.inspectModel', { model: mnistModel(), show: false });
      const run = await vscode.commands.executeCommand<{ id: string }>('quench.showReport', { runId: inspected.run!.id });
      assert.equal(run?.id, inspected.run!.id);
    });

    it('quench.cancelJob with nothing running cancels nothing', async () => {
      assert.equal(await vscode.commands.executeCommand<number>('quench.cancelJob'), 0);
    });

    it('quench.openExample returns the bundled examples folder', async function () {
      const examples = path.join(vscode.extensions.getExtension('quench.quench')!.extensionPath, 'examples');
      // Outside the examples workspace it would open a window: only the in-place path is tested here.
      if (workspaceRoot() !== examples) this.skip();
      assert.equal(await vscode.commands.executeCommand<string>('quench.openExample'), examples);
    });

    it('a file that is not a model gets a readable refusal, not a crash', async () => {
      const result = await vscode.commands.executeCommand<Outcome>('quench.inspectModel', { model: scratch('lookalike', 'model.json'), show: false });
      assert.equal(result.outcome, 'failed');
      assert.match(result.message ?? '', /not a model Quench can open/);
    });
  });
}
