// Faults around a real prune job (tiny TF.js model, 20 IDX samples, magnitude 50 %), in-process:
// an export that cannot write (as root, so the output path's parent is a regular file or the final
// name is a folder: permissions would not stop root), a full disk, the input model changed or
// deleted while the job runs, cancellation at every stage, and two jobs on one model at once.
// Each must end in a readable EngineFailure or JobCancelled, leave the input byte-for-byte as it
// was, leave no output and no temporary file, free its tensors, and let the next job succeed.
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runJob } from '../../../src/engine/jobs';
import { EngineFailure, JobCancelled } from '../../../src/engine/core/errors';
import { quietContext, type JobContext } from '../../../src/engine/core/context';
import type { PruneParams } from '../../../src/protocol/engine';
import { goodData, listing } from './corpus';
import { copyTinyModel, tempFolder } from './workspace';

process.env['QUENCH_BACKEND'] = 'cpu';

let root: string;
before(async () => {
  root = await tempFolder('quench-faults-');
});
after(() => fsp.rm(root, { recursive: true, force: true }));

/** A fresh copy of the tiny model in its own folder, and the prune params writing beside it. */
async function workspace(name: string): Promise<{ dir: string; model: string; params: PruneParams }> {
  const dir = path.join(root, name);
  const model = await copyTinyModel(dir);
  return { dir, model, params: { model, data: goodData, method: 'magnitude', sparsity: 0.5 } };
}

/** Runs `prune` with `onStage(stage)` called at each progress stage (it may throw to abort the job). */
function prune(params: PruneParams, onStage: (stage: string) => void = () => undefined, signal?: AbortSignal): ReturnType<typeof runJob<'prune'>> {
  const ctx: JobContext = { ...quietContext(signal), progress: (p) => onStage(p.stage) };
  return runJob('prune', params, ctx);
}

/** The job fails as `check` says; the folder is as it was, tensors are freed, the next job works. */
async function failsCleanly(dir: string, run: () => Promise<unknown>, check: (error: unknown) => void): Promise<void> {
  const before = await listing(dir);
  const tensors = tf.memory().numTensors;
  await assert.rejects(run(), (error: unknown) => (check(error), true));
  assert.deepEqual(await listing(dir), before, 'the input is untouched and nothing was written beside it');
  assert.equal(tf.memory().numTensors, tensors, 'tensors freed');
  const next = await prune({ model: path.join(dir, 'model.json'), data: goodData, method: 'magnitude', sparsity: 0.5, dryRun: true });
  assert.equal(next.accuracy.before.samples, 20, 'the next job works');
}

function readable(code: string, ...patterns: RegExp[]): (error: unknown) => void {
  return (error) => {
    assert.ok(error instanceof EngineFailure, `an EngineFailure, got ${(error as Error)?.stack ?? String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.message.split('\n').length, 1, 'one line');
    for (const pattern of patterns) assert.match(error.message, pattern);
  };
}

describe('faults during a prune job', { timeout: 120_000 }, () => {
  before(async () => {
    const { params } = await workspace('warm-up');
    await prune({ ...params, dryRun: true }); // warm the backend so tensor counts are the steady state
  });

  it('an output path under a regular file (mkdir fails, even as root) → io error naming it', async () => {
    const { dir, params } = await workspace('out-under-file');
    await fsp.writeFile(path.join(dir, 'blocker'), 'a file, not a folder');
    const out = path.join(dir, 'blocker', 'pruned', 'model.json');
    await failsCleanly(dir, () => prune({ ...params, out }), readable('io', /blocker\/pruned/, /ENOTDIR|not a directory/));
  });

  it('a Keras .h5 output under a regular file (the path-only h5 writer) → io error naming it', async () => {
    const { dir, params } = await workspace('h5-out-under-file');
    await fsp.writeFile(path.join(dir, 'blocker'), 'a file, not a folder');
    const out = path.join(dir, 'blocker', 'pruned.h5');
    await failsCleanly(dir, () => prune({ ...params, out, format: 'keras-h5' }), readable('io', /blocker\/pruned\.h5/, /EEXIST|ENOTDIR/));
  });

  it('an output name taken by a folder (the final rename fails) → io error, no shard left behind', async () => {
    const { dir, params } = await workspace('out-is-folder');
    const out = path.join(dir, 'pruned', 'model.json');
    await fsp.mkdir(out, { recursive: true });
    await failsCleanly(dir, () => prune({ ...params, out }), readable('io', /pruned\/model\.json/));
  });

  it('a full disk while writing (ENOSPC on the second file) → io error, no temporary file left', async () => {
    const { dir, params } = await workspace('disk-full');
    const writeFile = fsp.writeFile;
    let writes = 0;
    fsp.writeFile = (async (...args: Parameters<typeof writeFile>) => {
      if (String(args[0]).endsWith('.tmp') && ++writes === 2) {
        await writeFile(args[0], 'partial'); // a real disk-full leaves a partial file behind
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return writeFile(...args);
    }) as typeof writeFile;
    try {
      await failsCleanly(dir, () => prune(params), readable('io', /model\.pruned/, /no space left on device/));
    } finally {
      fsp.writeFile = writeFile;
    }
    assert.equal(writes, 2, 'the fault was injected');
  });

  for (const change of ['deleted', 'modified'] as const) {
    it(`the model file ${change} after loading → io error naming it, no output`, async () => {
      const { dir, model, params } = await workspace(`input-${change}`);
      const shard = path.join(dir, 'group1-shard1of1.bin');
      let changed = false;
      // Synchronous, so the change has happened before the job takes its next step.
      const mutate = (stage: string): void => {
        if (stage !== 'masked' || changed) return;
        changed = true;
        if (change === 'deleted') rmSync(model);
        else writeFileSync(shard, new Uint8Array(readFileSync(shard).length)); // same size, all zeros
      };
      const before = await listing(dir);
      const tensors = tf.memory().numTensors;
      await assert.rejects(
        prune(params, mutate),
        (error: unknown) => (readable('io', change === 'deleted' ? /model\.json.*was deleted while the job ran/ : /model\.json.*changed while the job ran/)(error), true),
      );
      assert.ok(changed);
      assert.equal(tf.memory().numTensors, tensors, 'tensors freed');
      const changedFile = change === 'deleted' ? 'model.json ' : 'group1-shard1of1.bin ';
      const others = (lines: string[]): string[] => lines.filter((l) => !l.startsWith(changedFile));
      assert.deepEqual(others(await listing(dir)), others(before), 'no output beside the input');
    });
  }

  for (const stage of ['load-model', 'evaluate-before', 'masked', 'evaluate-masked', 'export']) {
    it(`cancelled at "${stage}" → JobCancelled, no output`, async () => {
      const { dir, params } = await workspace(`cancel-${stage}`);
      const controller = new AbortController();
      let seen = false;
      await failsCleanly(
        dir,
        () => prune(params, (s) => (s === stage ? ((seen = true), controller.abort()) : undefined), controller.signal),
        (error) => assert.ok(error instanceof JobCancelled, `JobCancelled, got ${(error as Error)?.stack ?? String(error)}`),
      );
      assert.ok(seen, `the job reached ${stage}`);
    });
  }

  it('two jobs on the same model at once: both settle, each output is the one its report describes', async () => {
    const { dir, params } = await workspace('concurrent');
    const modelBefore = (await listing(dir)).filter((l) => !l.startsWith('a/') && !l.startsWith('b/'));
    const outA = path.join(dir, 'a', 'model.json');
    const outB = path.join(dir, 'b', 'model.json');
    const tensors = tf.memory().numTensors;
    const [a, b] = await Promise.all([prune({ ...params, sparsity: 0.3, out: outA }), prune({ ...params, sparsity: 0.7, out: outB })]);
    assert.equal(tf.memory().numTensors, tensors, 'tensors freed');
    assert.ok(a.output?.verified && b.output?.verified);
    assert.ok(Math.abs(a.targetedSparsity - 0.3) < 0.05 && Math.abs(b.targetedSparsity - 0.7) < 0.05, `${a.targetedSparsity} ${b.targetedSparsity}`);
    for (const report of [a, b]) {
      // What is on disk is what the report describes (the two runs did not mix).
      const written = await runJob('inspect', { model: report.output!.path }, quietContext());
      assert.equal(written.totals.zeros, report.totals.after.zeros, report.output!.path);
    }
    assert.ok(a.totals.after.zeros < b.totals.after.zeros);
    assert.deepEqual((await listing(dir)).filter((l) => !l.startsWith('a/') && !l.startsWith('b/')), modelBefore, 'input untouched');
  });

  it('two jobs writing the same output at once: the second is refused clearly, the first succeeds', async () => {
    const { dir, params } = await workspace('same-output');
    const out = path.join(dir, 'shared-out', 'model.json');
    const results = await Promise.allSettled([prune({ ...params, sparsity: 0.3, out }), prune({ ...params, sparsity: 0.7, out })]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(fulfilled.length, 1, JSON.stringify(results.map((r) => r.status)));
    readable('io', /shared-out\/model\.json/, /another job is writing/)(rejected[0]!.reason);
    const written = await runJob('inspect', { model: out }, quietContext());
    const winner = (fulfilled[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof prune>>>).value;
    assert.equal(written.totals.zeros, winner.totals.after.zeros, 'the output is the finished job\'s');
  });
});
