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
  });
}
