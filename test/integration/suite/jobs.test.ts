// Real prune jobs through the real engine process: end to end, cancelled, and with the engine killed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { mnistModel, mnistTest, publicAbsent } from './commands.test';
import { scratch, waitFor } from './helpers';

interface Outcome {
  outcome: string;
  message?: string;
  report?: { kind: string; totals: { after: { sparsity: number } }; output: { path: string; verified: boolean } | null; sfp?: { matricesPath?: string } };
  run?: { id: string; file: string };
}

interface Job {
  modelPath: string;
  progress?: { stage: string };
}

function startPrune(out: string, extra: Record<string, unknown> = {}): Thenable<Outcome> {
  return vscode.commands.executeCommand<Outcome>('quench.pruneModel', {
    model: mnistModel(),
    data: mnistTest(),
    method: 'afcc',
    readoutEpochs: 1,
    limit: 500,
    out,
    ...extra,
  });
}

/** Waits until the job is past loading (its first progress), so the engine is mid-job. */
function waitForRunningJob(): Promise<Job> {
  return waitFor(
    'a running prune job with progress',
    async () => (await vscode.commands.executeCommand<Job[]>('quench.listJobs')).find((j) => j.modelPath === mnistModel() && j.progress),
    60_000,
  );
}

export function jobTests(): void {
  describe('prune jobs', function () {
    before(function () {
      if (!vscode.workspace.isTrusted) this.skip();
      // The public MNIST model ships beside the repository (CI has it); a plain clone elsewhere skips.
      if (publicAbsent()) {
        console.log(`prune jobs: skipped — ${publicAbsent()}`);
        this.skip();
      }
    });

    it('prunes the model end to end and returns the saved report', async () => {
      const out = scratch('pruned', 'model.pruned', 'model.json');
      const result = await startPrune(out);
      assert.equal(result.outcome, 'done', result.message);
      assert.equal(result.report!.kind, 'prune');
      assert.ok(result.report!.totals.after.sparsity > 0, 'weights were zeroed');
      assert.equal(result.report!.output?.path, out);
      assert.ok(fs.existsSync(out), 'the pruned model was written');
      assert.ok(fs.existsSync(result.run!.file), 'the report is in .quench/runs/');
      // AFCC's SFP matrices are kept beside the report, for the panel's per-filter heat maps.
      const matrices = result.report!.sfp?.matricesPath;
      assert.ok(matrices && fs.existsSync(matrices), `the SFP matrices side file was written (${matrices})`);
      assert.equal(path.dirname(matrices), path.dirname(result.run!.file));
      assert.ok(fs.existsSync(mnistModel()), 'the original is untouched');
    });

    it('cancelling mid-job ends it promptly and leaves no output', async () => {
      const out = scratch('cancelled', 'model.pruned', 'model.json');
      const pending = startPrune(out, { readoutEpochs: 20, limit: 5000 });
      await waitForRunningJob();
      const asked = Date.now();
      assert.equal(await vscode.commands.executeCommand<number>('quench.cancelJob', { model: mnistModel() }), 1);
      const result = await pending;
      assert.equal(result.outcome, 'cancelled', result.message);
      assert.ok(Date.now() - asked < 6000, `settled ${Date.now() - asked} ms after the cancel`);
      assert.equal(fs.existsSync(path.dirname(out)), false, 'no output folder left');
    });

    it('an engine killed mid-job gives a readable error and the next job works', async () => {
      const out = scratch('killed', 'model.pruned', 'model.json');
      const pending = startPrune(out, { readoutEpochs: 20, limit: 5000 });
      await waitForRunningJob();
      const { pid } = await vscode.commands.executeCommand<{ pid?: number }>('quench.engineInfo');
      assert.ok(pid, 'the engine runs');
      process.kill(pid, 'SIGKILL');
      const result = await pending;
      assert.equal(result.outcome, 'failed');
      assert.match(result.message ?? '', /engine was killed \(SIGKILL\)/);
      assert.equal(fs.existsSync(path.dirname(out)), false, 'no output folder left');
      const next = await vscode.commands.executeCommand<Outcome>('quench.evaluateModel', { model: mnistModel(), data: mnistTest(), limit: 200 });
      assert.equal(next.outcome, 'done', next.message);
      const after = await vscode.commands.executeCommand<{ pid?: number }>('quench.engineInfo');
      assert.notEqual(after.pid, pid, 'a new engine process');
    });

    it('within an accuracy budget the report verifies the held-out drop, and the budget is remembered for the model', async () => {
      const out = scratch('budget', 'model.pruned', 'model.json');
      // No fixed method: the arguments name a budget, one method under it and a short ladder.
      const result = await vscode.commands.executeCommand<Outcome & { report?: { budget?: BudgetView } }>('quench.pruneModel', {
        model: mnistModel(), data: mnistTest(), limit: 400, out, maxDrop: 1, budgetMethod: 'magnitude', finetuneEpochs: 0,
      });
      assert.equal(result.outcome, 'done', result.message);
      const budget = result.report!.budget;
      assert.ok(budget, 'the report has a budget section');
      assert.equal(budget.maxDrop, 1);
      assert.equal(budget.split.calibration + budget.split.heldOut, 400);
      if (budget.chosen) {
        assert.ok(budget.chosen.verifiedDrop <= 1 + 1e-9, `verified drop ${budget.chosen.verifiedDrop} pp within 1 pp`);
        assert.ok(fs.existsSync(out), 'the model within the budget was written');
      } else {
        assert.equal(fs.existsSync(out), false, 'nothing met the budget: no model written');
      }
      // Remembered in the first workspace folder's .quench/models.json, keyed by the model's relative path.
      const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
      const stored = JSON.parse(fs.readFileSync(path.join(root, '.quench', 'models.json'), 'utf8'))[path.relative(root, mnistModel()).split(path.sep).join('/')];
      assert.deepEqual([stored?.maxDrop, stored?.budgetMethod], [1, 'magnitude']);
    });

    it('Sweep Accuracy vs Sparsity with arguments runs the sweep job and returns its saved report', async () => {
      const result = await vscode.commands.executeCommand<Outcome & { report?: { curves?: { method: string; points: unknown[] }[]; maxDrop?: number } }>('quench.sweepModel', {
        model: mnistModel(), data: mnistTest(), limit: 300, methods: ['magnitude', 'random'], sparsities: [0.5, 0.9], maxDrop: 1,
      });
      assert.equal(result.outcome, 'done', result.message);
      assert.equal(result.report!.kind, 'sweep');
      assert.deepEqual(result.report!.curves!.map((c) => [c.method, c.points.length]), [['magnitude', 2], ['random', 2]]);
      assert.equal(result.report!.maxDrop, 1, 'the budget line travels with the report');
      assert.ok(fs.existsSync(result.run!.file), 'the report is in .quench/runs/');
    });
  });
}

interface BudgetView {
  maxDrop: number;
  split: { calibration: number; heldOut: number };
  chosen: { verifiedDrop: number } | null;
}
