// 50 consecutive prune jobs in one process (the tiny model, 20 IDX samples; magnitude 50 % and
// AFCC alternating, each written beside the input and reloaded): after the first job warms the
// backend, tf.memory().numTensors must be exactly where it was after every job, and RSS may grow
// by less than 100 MB. The RSS figures go to test-results/leak-rss.json and docs/reliability.md.
import assert from 'node:assert/strict';
import { mkdirSync, promises as fsp, writeFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { runJob } from '../../../src/engine/jobs';
import { quietContext } from '../../../src/engine/core/context';
import type { PruneParams } from '../../../src/protocol/engine';
import { goodData, repoRoot } from './corpus';
import { copyTinyModel, tempFolder } from './workspace';

process.env['QUENCH_BACKEND'] = 'cpu';
const JOBS = 50;
const RSS_GROWTH_LIMIT_MB = 100;

// A full collection before each RSS reading, so the figures show retained memory, not garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const rssMB = (): number => {
  gc();
  return Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
};

let root: string;
before(async () => {
  root = await tempFolder('quench-leak-');
});
after(() => fsp.rm(root, { recursive: true, force: true }));

it(`${JOBS} consecutive prune jobs keep tensors flat and RSS bounded`, { timeout: 300_000 }, async () => {
  const model = await copyTinyModel(path.join(root, 'model'));
  const params = (i: number): PruneParams =>
    i % 2 === 0 ? { model, data: goodData, method: 'magnitude', sparsity: 0.5 } : { model, data: goodData, method: 'afcc', readoutEpochs: 1, seed: i };
  const tensorsAfter: number[] = [];
  const rss: Record<string, number> = {};
  const started = Date.now();
  for (let i = 0; i < JOBS; i++) {
    const report = await runJob('prune', params(i), quietContext());
    assert.ok(report.output?.verified, `job ${i + 1} wrote and verified its output`);
    tensorsAfter.push(tf.memory().numTensors);
    if (i === 0) rss['afterFirst'] = rssMB();
    if (i === 9) rss['after10'] = rssMB();
  }
  rss['after50'] = rssMB();
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const figures = { jobs: JOBS, seconds, tensorsAfterFirst: tensorsAfter[0], tensorsAfterLast: tensorsAfter.at(-1), rssMB: rss, growthMB: Math.round((rss['after50']! - rss['afterFirst']!) * 10) / 10 };
  mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'test-results/leak-rss.json'), JSON.stringify(figures, null, 2));
  console.log(`leak/RSS: ${JSON.stringify(figures)}`);
  assert.deepEqual(tensorsAfter, tensorsAfter.map(() => tensorsAfter[0]), 'numTensors exactly flat after the warm-up job');
  assert.ok(figures.growthMB < RSS_GROWTH_LIMIT_MB, `RSS grew ${figures.growthMB} MB from the first job to the last`);
});
