// One job-level progress fraction: a prune job's fractions only go up, its first evaluation
// ends far below 1 (each step used to restart the fraction, so the bar was full after it), and
// the last report is the end of the job.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { JobProgress } from '../../../src/protocol/engine';
import { pruneJob } from '../../../src/engine/jobs/prune';
import { JobProgress as Tracker } from '../../../src/engine/pipeline/progress';
import { copyTiny, tempFolder, useWasm, writeIdxFamily } from './helpers';

let dir: string;
before(async () => {
  await useWasm();
  dir = await tempFolder('progress');
});
after(() => fs.rm(dir, { recursive: true, force: true }));

test('a step\'s own 0..1 lands inside its share of the job, and never goes back', () => {
  const seen: number[] = [];
  const tracker = new Tracker(
    { signal: new AbortController().signal, log: () => undefined, progress: (p) => seen.push(p.fraction!) },
    [{ step: 'evaluate', weight: 1 }, { step: 'fine-tune', weight: 2 }, { step: 'evaluate', weight: 1 }],
  );
  tracker.enter('evaluate');
  tracker.ctx.progress({ stage: 'evaluate-before', fraction: 1 });
  tracker.enter('fine-tune');
  tracker.ctx.progress({ stage: 'finetune', fraction: 0.5 });
  tracker.ctx.progress({ stage: 'finetune', fraction: 0.25 });
  tracker.enter('evaluate');
  tracker.ctx.progress({ stage: 'evaluate-after', fraction: 1 });
  assert.deepEqual(seen, [0, 0.25, 0.25, 0.5, 0.5, 0.75, 1]);
  assert.throws(() => tracker.enter('export'), /not planned/);
});

test('prune with fine-tuning: fractions rise once from 0 to 1 over the whole job', async () => {
  const model = await copyTiny(dir);
  const data = await writeIdxFamily(dir);
  const reports: JobProgress[] = [];
  const ctx = { signal: new AbortController().signal, log: () => undefined, progress: (p: JobProgress) => reports.push(p) };
  await pruneJob({ model, data, method: 'magnitude', sparsity: 0.5, layers: ['conv2', 'logits'], finetune: { epochs: 1, trainLimit: 64 }, dryRun: true }, ctx);
  const fractions = reports.map((p) => p.fraction).filter((f): f is number => f !== undefined);
  for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i]! >= fractions[i - 1]!, `fraction fell from ${fractions[i - 1]} to ${fractions[i]}`);
  const firstEvaluation = reports.filter((p) => p.stage === 'evaluate-before').map((p) => p.fraction ?? 0);
  assert.ok(Math.max(...firstEvaluation) < 0.3, `the first evaluation reached ${Math.max(...firstEvaluation)}`);
  assert.ok(fractions.at(-1)! > 0.95, `the job ended at ${fractions.at(-1)}`);
});
