// Faults of the engine process itself, through the real client (src/extension/client, no vscode)
// and the real engine entry (src/engine/main.ts under tsx): SIGKILL in the middle of a prune job,
// the host going away mid-job (a window reload), and concurrent jobs on one model in one process.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as path from 'node:path';
import { EngineConnection, EngineRequestError } from '../../../src/extension/client/connection';
import { engineProcessStarter } from '../../../src/extension/client/process';
import { removeNewOutputs, snapshotOutputs } from '../../../src/extension/jobs/outputs';
import type { PruneParams } from '../../../src/protocol/engine';
import { goodData, listing, repoRoot } from './corpus';
import { copyTinyModel, tempFolder, writeIdxDataset } from './workspace';

const starter = engineProcessStarter({ enginePath: path.join(repoRoot, 'src/engine/main.ts'), execArgv: ['--import', 'tsx'], backend: 'cpu' });

let root: string;
let bigData: string;
before(async () => {
  root = await tempFolder('quench-engine-faults-');
  // 20,000 samples: each evaluation of the tiny model takes about a second, time to kill mid-job.
  bigData = await writeIdxDataset(path.join(root, 'big-data'), 20_000);
});
after(() => fsp.rm(root, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('engine process faults', { timeout: 120_000 }, () => {
  it('SIGKILL mid-prune: a readable error, the input untouched, no output, and a new engine runs the next job', async () => {
    const dir = path.join(root, 'killed');
    const model = await copyTinyModel(dir);
    const out = path.join(dir, 'model.pruned', 'model.json');
    const snapshot = await snapshotOutputs([out]);
    const before = await listing(dir);
    const exits: string[] = [];
    const connection = new EngineConnection(starter, { exited: (d) => exits.push(d) });
    try {
      let killedPid: number | undefined;
      const job = connection.request('prune', { model, data: bigData, method: 'magnitude', sparsity: 0.5 }, {
        onProgress: (p) => {
          // Killed after masking, a second of evaluation before the export starts.
          if ((p.stage === 'masked' || p.stage === 'evaluate-masked') && killedPid === undefined) {
            killedPid = connection.pid!;
            process.kill(killedPid, 'SIGKILL');
          }
        },
      });
      await assert.rejects(job, (error: unknown) => {
        assert.ok(error instanceof EngineRequestError);
        assert.equal(error.code, 'internal');
        assert.match(error.message, /The Quench engine was killed \(SIGKILL\) while running this request\. It restarts on the next request/);
        return true;
      });
      assert.ok(killedPid, 'the job reached the masked stage');
      await waitFor(() => exits.length === 1, 'the exit event');
      // What the extension's job runner does after a failed job; nothing of the job may be left.
      await removeNewOutputs(snapshot);
      assert.deepEqual(await listing(dir), before, 'input untouched, no output or temporary file');
      const next = await connection.request('evaluate', { model, data: goodData });
      assert.equal(next.accuracy.samples, 20);
      assert.ok(connection.pid && connection.pid !== killedPid, 'a new engine process ran it');
    } finally {
      connection.dispose();
    }
  });

  it('the host dies mid-job (window reload): the engine exits instead of running on as an orphan', async () => {
    const dir = path.join(root, 'orphan');
    const model = await copyTinyModel(dir);
    // A stand-in extension host: starts the engine, starts a prune job, reports the engine's pid.
    const host = fork(path.join(__dirname, 'host-child.ts'), [JSON.stringify({ model, data: bigData, method: 'magnitude', sparsity: 0.5 } satisfies PruneParams)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const enginePid = await new Promise<number>((resolve, reject) => {
      host.once('message', (m: { enginePid: number }) => resolve(m.enginePid));
      host.once('exit', (code) => reject(new Error(`host exited (${code}) before the job started`)));
    });
    assert.ok(alive(enginePid));
    host.kill('SIGKILL');
    await waitFor(() => !alive(enginePid), 'the orphaned engine to exit', 10_000);
  });

  it('concurrent jobs in one engine: two prunes of one model both succeed; a third on a taken output is refused', async () => {
    const dir = path.join(root, 'concurrent');
    const model = await copyTinyModel(dir);
    const connection = new EngineConnection(starter);
    try {
      const params: PruneParams = { model, data: goodData, method: 'magnitude' };
      const outA = path.join(dir, 'a', 'model.json');
      const [a, b, c] = await Promise.allSettled([
        connection.request('prune', { ...params, sparsity: 0.3, out: outA }),
        connection.request('prune', { ...params, sparsity: 0.7, out: path.join(dir, 'b', 'model.json') }),
        connection.request('prune', { ...params, sparsity: 0.5, out: outA }),
      ]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(b.status, 'fulfilled');
      if (a.status === 'fulfilled' && b.status === 'fulfilled') {
        assert.ok(a.value.output?.verified && b.value.output?.verified);
        assert.ok(a.value.totals.after.zeros < b.value.totals.after.zeros, 'each job pruned to its own sparsity');
      }
      assert.equal(c.status, 'rejected');
      if (c.status === 'rejected') {
        assert.ok(c.reason instanceof EngineRequestError);
        assert.equal(c.reason.code, 'io');
        assert.match(c.reason.message, /a\/model\.json: another job is writing this output/);
      }
      const after = await connection.request('inspect', { model: outA });
      assert.equal(after.totals.zeros, a.status === 'fulfilled' ? a.value.totals.after.zeros : NaN, 'the output is the first job\'s');
    } finally {
      connection.dispose();
    }
  });
});
