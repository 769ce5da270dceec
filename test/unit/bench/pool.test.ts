// bench/lib/pool.ts: how compare.bench.ts spreads seeds × methods over worker processes, and the
// pool that runs them (real child processes, a few milliseconds each).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSchedule, runPool } from '../../../bench/lib/pool';

const METHODS = ['afcc', 'random-afcc', 'l1-kernel', 'magnitude', 'random'];

test('3 seeds on 2 workers: two whole seeds, the third split by methods into 2 parts', () => {
  const tasks = compareSchedule([1, 2, 3], METHODS, 0.8, 2);
  assert.deepEqual(tasks.map((t) => [t.seed, t.methods.join(',')]), [
    [1, METHODS.join(',')],
    [2, METHODS.join(',')],
    [3, 'afcc,random-afcc,l1-kernel'],
    [3, 'magnitude,random'],
  ]);
  assert.ok(tasks.every((t) => t.targetSparsity === 0.8));
});

test('every (seed, method) pair is scheduled exactly once, for any seeds and workers', () => {
  for (const workers of [1, 2, 3, 4, 8]) {
    for (const count of [1, 2, 3, 4, 5]) {
      const seeds = Array.from({ length: count }, (_, i) => i + 1);
      const pairs = compareSchedule(seeds, METHODS, 0.5, workers).flatMap((t) => t.methods.map((m) => `${t.seed}:${m}`));
      assert.deepEqual([...pairs].sort(), seeds.flatMap((s) => METHODS.map((m) => `${s}:${m}`)).sort(), `${count} seeds, ${workers} workers`);
    }
  }
});

test('one worker runs whole seeds only (no analysis is repeated)', () => {
  assert.deepEqual(compareSchedule([1, 2, 3], METHODS, 0.8, 1).map((t) => t.methods.length), [5, 5, 5]);
});

test('runPool runs every task in its own process, at most `workers` at once, with one thread each', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quench-pool-test-'));
  try {
    // Each child appends start/end marks and its thread settings to a log; overlap shows concurrency.
    const script = `const fs=require('fs');const f=${JSON.stringify(path.join(dir, 'log'))};fs.appendFileSync(f,'start '+process.argv[1]+' '+process.env.QUENCH_THREADS+'\\n');setTimeout(()=>fs.appendFileSync(f,'end '+process.argv[1]+'\\n'),150);`;
    await runPool([0, 1, 2, 3], 2, (task) => ['-e', script, String(task)], dir);
    const log = readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n');
    assert.equal(log.filter((l) => l.startsWith('start')).length, 4);
    assert.ok(log.filter((l) => l.startsWith('start')).every((l) => l.endsWith(' 1')), log.join('\n'));
    let running = 0;
    let most = 0;
    for (const l of log) {
      running += l.startsWith('start') ? 1 : -1;
      most = Math.max(most, running);
    }
    assert.equal(most, 2, log.join('\n'));
    await assert.rejects(runPool([0], 1, () => ['-e', 'process.exit(3)'], dir), /failed \(3\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
