// The honest split: stratified and seeded, and the budget search never reads a held-out sample —
// checked on a real (tiny) model and dataset by instrumenting every read of the evaluation data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { JobProgress as ProgressEvent, PruneParams } from '../../../src/protocol/engine';
import { stratifiedSplit, subsetDataset } from '../../../src/engine/budget/split';
import { budgetPrune } from '../../../src/engine/budget';
import type { Batch, BatchOptions, Dataset } from '../../../src/engine/data/types';
import { openModel } from '../../../src/engine/formats';
import { loadDatasetForModel } from '../../../src/engine/jobs/common';
import { JobProgress } from '../../../src/engine/pipeline/progress';
import { modelGraph } from '../../../src/engine/sfp/graph';
import { copyTiny, tempFolder, useWasm, writeIdxFamily } from '../jobs/helpers';

let dir: string;
before(async () => {
  await useWasm();
  dir = await tempFolder('budget-split');
});
after(() => fs.rm(dir, { recursive: true, force: true }));

test('stratified: each class divided in the same share, disjoint, complete, the same for the same seed', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 10 < 3 ? 0 : i % 4 + 1);
  const split = stratifiedSplit(labels, 0.3, 5);
  const all = [...split.calibration, ...split.heldOut].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 1000 }, (_, i) => i));
  for (const label of new Set(labels)) {
    const count = labels.filter((l) => l === label).length;
    const held = [...split.heldOut].filter((i) => labels[i] === label).length;
    assert.equal(held, Math.round(count * 0.3), `class ${label}`);
  }
  assert.deepEqual(stratifiedSplit(labels, 0.3, 5), split);
  assert.notDeepEqual(stratifiedSplit(labels, 0.3, 6).heldOut, split.heldOut);
  assert.throws(() => stratifiedSplit(labels, 1, 5), /between 0 and 1/);
});

/** A dataset of `size` 1x1x1 images whose pixel is the sample index; records every range read. */
function indexDataset(size: number, reads: [number, number][]): Dataset {
  return {
    info: { path: '/fake', kind: 'idx', samples: size, classes: 3, sha256: 'f', split: 'test', preprocessing: { scale: 'none', source: 'inferred' } },
    size,
    classes: 3,
    imageShape: [1, 1, 1],
    async *batches(options: BatchOptions): AsyncGenerator<Batch> {
      const start = options.start ?? 0;
      const end = options.end ?? size;
      reads.push([start, end]);
      for (let i = start; i < end; i += options.batchSize) {
        const stop = Math.min(end, i + options.batchSize);
        const ids = Array.from({ length: stop - i }, (_, k) => i + k);
        yield { x: tf.tensor4d(ids, [ids.length, 1, 1, 1]), y: Int32Array.from(ids, (n) => n % 3) };
      }
    },
    labels: async () => Int32Array.from({ length: size }, (_, n) => n % 3),
  };
}

test('a split reads from its parent only its own samples, in batches and shuffled', async () => {
  const reads: [number, number][] = [];
  const parent = indexDataset(90, reads);
  const { calibration } = stratifiedSplit(await parent.labels(), 0.5, 1);
  const part = subsetDataset(parent, calibration, 'calibration');
  assert.equal(part.size, calibration.length);
  for (const shuffleSeed of [undefined, 3]) {
    const seen: number[] = [];
    for await (const batch of part.batches({ batchSize: 8, shuffleSeed })) {
      seen.push(...batch.x.dataSync());
      assert.deepEqual([...batch.y], [...batch.x.dataSync()].map((n) => n % 3), 'labels travel with their images');
      batch.x.dispose();
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [...calibration]);
  }
  const allowed = new Set(calibration);
  for (const [start, end] of reads) for (let i = start; i < end; i++) assert.ok(allowed.has(i), `sample ${i} was read`);
  assert.deepEqual([...(await part.labels())], [...calibration].map((n) => n % 3));
});

test('the budget search reads held-out samples only in held-out evaluations (tiny model, real data, no training data)', async () => {
  const model = await copyTiny(dir);
  const dataPath = await writeIdxFamily(dir, 240, 10);
  const loaded = await openModel(model);
  const real = await loadDatasetForModel(dataPath, loaded);
  // Each read is attributed to the stage of the next progress event: the step that consumed it.
  const events: ({ read: [number, number] } | { stage: string })[] = [];
  const data: Dataset = {
    ...real,
    batches: (options) => {
      events.push({ read: [options.start ?? 0, Math.min(options.end ?? real.size, real.size)] });
      return real.batches(options);
    },
  };
  const outer = { signal: new AbortController().signal, log: () => undefined, progress: (p: ProgressEvent) => events.push({ stage: p.stage }) };
  const job = new JobProgress(outer, ['evaluate', 'analyse', 'plan', 'verify'].map((step) => ({ step: step as 'evaluate', weight: 1 })));
  const params: PruneParams = { model, data: dataPath, method: 'auto', maxDrop: 2, ladder: [0.5, 0.9], readoutEpochs: 1, cache: false, seed: 3 };
  try {
    const graph = modelGraph(loaded.model);
    const result = await budgetPrune({ job, ctx: job.ctx, watch: { lap: () => 0 }, notes: [], loaded, model: loaded.model, data, train: null, graph }, params, 'sha');
    assert.equal(result.section.split.calibration + result.section.split.heldOut, 240);
    assert.ok(result.section.attempts.length >= 2);
    const { heldOut } = stratifiedSplit(await real.labels(), 0.5, 3);
    const held = new Set(heldOut);
    const stages = new Map<string, number>();
    events.forEach((event, i) => {
      if (!('read' in event)) return;
      const next = events.slice(i + 1).find((e): e is { stage: string } => 'stage' in e);
      const stage = next?.stage ?? 'end';
      const [start, end] = event.read;
      let touched = 0;
      for (let s = start; s < end; s++) if (held.has(s)) touched++;
      if (touched > 0) stages.set(stage, (stages.get(stage) ?? 0) + touched);
    });
    assert.deepEqual([...stages.keys()], ['evaluate-held-out'], `held-out samples were read during ${[...stages.keys()].join(', ')}`);
    const searchReads = events.filter((e, i) => 'read' in e && events.slice(i + 1).find((n) => 'stage' in n && n.stage !== 'evaluate-held-out'));
    assert.ok(searchReads.length > 0, 'the search read calibration samples');
    assert.ok(result.section.sensitivity.curves.some((c) => c.method === 'afcc') && result.section.sensitivity.curves.some((c) => c.method === 'magnitude'));
    // The AFCC family's per-filter analysis (calibration data only) comes back for the report's SFP section.
    assert.ok(result.analysis, 'auto ran AFCC: its analysis is returned');
    assert.ok(result.analysis.layers.length > 0 && result.analysis.dataSplit !== 'held-out', `analysed ${result.analysis.layers.length} layers on ${result.analysis.dataSplit}`);
  } finally {
    real.close?.();
    loaded.model.dispose();
  }
});

test('a parent read by range is never asked for a held-out index by the subset (sizes stay honest)', async () => {
  const reads: [number, number][] = [];
  const parent = indexDataset(30, reads);
  const { heldOut, calibration } = stratifiedSplit(await parent.labels(), 0.5, 2);
  const part = subsetDataset(parent, heldOut, 'held-out');
  for await (const batch of part.batches({ batchSize: 64, start: 2, end: 5 })) {
    assert.deepEqual([...batch.x.dataSync()], [...heldOut.slice(2, 5)]);
    batch.x.dispose();
  }
  const calibrationSet = new Set(calibration);
  for (const [start, end] of reads) for (let i = start; i < end; i++) assert.ok(!calibrationSet.has(i));
  assert.match(part.info.note ?? '', /held-out: 15 of 30 samples/);
  assert.ok(path.isAbsolute(dir));
});
