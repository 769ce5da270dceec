// Every entry of the bad-input corpus (test/fixtures/bad/cases.json) goes through the engine's
// jobs: it must fail with a clean EngineFailure of the expected code whose message names the file
// and the problem, write nothing, free its tensors, and leave the process able to run a valid job.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { runJob } from '../../../src/engine/jobs';
import { EngineFailure } from '../../../src/engine/core/errors';
import { quietContext } from '../../../src/engine/core/context';
import { caseFolder, goodData, listing, loadCases, runCase, tinyModel } from './corpus';

process.env['QUENCH_BACKEND'] = 'cpu';
const cases = loadCases();

/** A valid evaluate on the tiny model: proves the process is still fine after a failure. */
async function validJobWorks(): Promise<void> {
  const report = await runJob('evaluate', { model: tinyModel, data: goodData }, quietContext());
  assert.equal(report.accuracy.samples, 20);
}

describe('bad inputs through the engine jobs', { timeout: 180_000 }, () => {
  before(async () => {
    await validJobWorks(); // warm the backend so tensor counts below are the steady state
  });

  it('the corpus covers every kind of bad input the issue lists', () => {
    assert.ok(cases.length >= 35, `${cases.length} cases`);
    for (const c of cases) assert.ok(existsSync(caseFolder(c)), `${c.file} exists (run node scripts/make-bad-fixtures.mjs)`);
  });

  for (const c of cases) {
    it(`${c.file}: ${c.what} → ${c.code}`, async () => {
      const folder = caseFolder(c);
      const filesBefore = await listing(folder);
      const tensorsBefore = tf.memory().numTensors;
      await assert.rejects(runCase(c), (error: unknown) => {
        assert.ok(error instanceof EngineFailure, `a clean EngineFailure, got ${(error as Error)?.stack ?? String(error)}`);
        assert.equal(error.code, c.code, error.message);
        assert.match(error.message, new RegExp(c.message), 'the message names the file and the problem');
        assert.equal(error.message.split('\n').length, 1, 'one line');
        return true;
      });
      assert.deepEqual(await listing(folder), filesBefore, 'no file written or changed beside the input');
      assert.equal(tf.memory().numTensors - tensorsBefore, 0, 'tensors freed');
      await validJobWorks();
    });
  }

  it('a pickled object array is never unpickled', () => {
    // The npz-object-array pickle would create this file if anything ran it.
    assert.equal(existsSync('/tmp/quench-unpickled'), false);
  });
});
