// The pipeline's steps on a real (tiny) model: a scoped progress slice, apply → recalibrate →
// restore through a WeightSnapshot (moving statistics included), and the sweep job built on them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { JobProgress as ProgressEvent } from '../../../src/protocol/engine';
import { quietContext } from '../../../src/engine/core/context';
import { openModel } from '../../../src/engine/formats';
import { loadDatasetForModel } from '../../../src/engine/jobs/common';
import { sweepJob } from '../../../src/engine/jobs/sweep';
import { JobProgress, scoped } from '../../../src/engine/pipeline/progress';
import { applyStep, evaluateStep, recalibrateStep, WeightSnapshot } from '../../../src/engine/pipeline/steps';
import type { JobState } from '../../../src/engine/pipeline/state';
import { zerosAtSparsity } from '../../../src/engine/prune/methods';
import { magnitudeMasks } from '../../../src/engine/prune/baselines';
import { kernelValues } from '../../../src/engine/prune/apply';
import { modelGraph } from '../../../src/engine/sfp/graph';
import { copyTiny, tempFolder, useWasm, writeIdxFamily } from '../jobs/helpers';

let dir: string;
let model: string;
let data: string;
before(async () => {
  await useWasm();
  dir = await tempFolder('pipeline');
  model = await copyTiny(dir);
  data = await writeIdxFamily(dir, 200, 300);
});
after(() => fs.rm(dir, { recursive: true, force: true }));

test('a scoped slice maps a step\'s own 0..1 into its part of the job, and the job still never goes back', () => {
  const seen: number[] = [];
  const job = new JobProgress({ ...quietContext(), progress: (p: ProgressEvent) => seen.push(p.fraction!) }, [{ step: 'plan', weight: 1 }, { step: 'verify', weight: 1 }]);
  job.enter('plan');
  const second = scoped(job.ctx, 0.5, 1);
  scoped(second, 0, 0.5).progress({ stage: 'x', fraction: 1 }); // 0.75 of plan
  scoped(job.ctx, 0, 0.5).progress({ stage: 'y', fraction: 1 }); // 0.5 of plan: held at 0.375
  job.enter('verify');
  second.progress({ stage: 'z', fraction: 0.5 });
  assert.deepEqual(seen, [0, 0.375, 0.375, 0.5, 0.875]);
});

test('apply, recalibrate, evaluate and restore: the snapshot brings back every weight, moving statistics included', async () => {
  const loaded = await openModel(model);
  const evaluation = await loadDatasetForModel(data, loaded);
  const train = await loadDatasetForModel(data.replace('t10k', 'train'), loaded, { split: 'train' });
  try {
    const graph = modelGraph(loaded.model);
    const job = new JobProgress(quietContext(), [{ step: 'apply', weight: 1 }]);
    const state: JobState = { job, ctx: job.ctx, watch: { lap: () => 0 }, notes: [], loaded, model: loaded.model, data: evaluation, train, graph };
    const before = loaded.model.getWeights().map((w) => Array.from(w.dataSync()));
    const statistics = () => loaded.model.getLayer('bn2').getWeights().slice(2).map((w) => Array.from(w.dataSync()));
    const bnBefore = statistics();
    const top1 = (await evaluateStep(state, 'evaluate-before')).top1;
    const snapshot = new WeightSnapshot(loaded.model);
    const masks = magnitudeMasks(kernelValues(graph, ['conv2']), zerosAtSparsity(graph, ['conv2'], 0.9));
    applyStep(state, { method: 'magnitude', masks, notes: [] });
    assert.equal(await recalibrateStep(state, train), true);
    const changed = loaded.model.getWeights().map((w) => Array.from(w.dataSync()));
    assert.notDeepEqual(changed, before);
    assert.notDeepEqual(statistics(), bnBefore, 'the moving mean and variance were re-estimated');
    snapshot.restore();
    assert.deepEqual(loaded.model.getWeights().map((w) => Array.from(w.dataSync())), before);
    assert.equal((await evaluateStep(state, 'evaluate-restored')).top1, top1);
    snapshot.dispose();
  } finally {
    evaluation.close?.();
    train.close?.();
    loaded.model.dispose();
  }
});

test('sweep: accuracy against sparsity per method, the weights restored between points, nothing written', async () => {
  const files = await fs.readdir(dir);
  const report = await sweepJob({ model, data, methods: ['magnitude', 'random-afcc'], sparsities: [0.9, 0.5], readoutEpochs: 1, maxDrop: 1 }, quietContext());
  assert.equal(report.kind, 'sweep');
  assert.deepEqual(report.curves.map((c) => c.method), ['magnitude', 'random-afcc']);
  for (const curve of report.curves) {
    assert.deepEqual(curve.points.map((p) => p.sparsity), [0.5, 0.9]);
    for (const p of curve.points) {
      assert.ok(Math.abs(p.targetedSparsity - p.sparsity) < 0.01, `${curve.method} at ${p.sparsity}: ${p.targetedSparsity}`);
      assert.ok(p.removed > 0 && p.removed < p.targetedSparsity, 'the removed share counts the whole model');
      assert.ok(p.top1BnRecalibrated !== undefined, 'training data beside the test split: BatchNorm re-estimated');
    }
  }
  // Magnitude at 50% then 90% from the same weights: the 90% point is not the 50% point pruned again.
  const magnitude = report.curves[0]!.points;
  assert.ok(magnitude[1]!.totalSparsity > magnitude[0]!.totalSparsity);
  assert.equal(report.maxDrop, 1);
  assert.deepEqual(await fs.readdir(dir), files);
});
