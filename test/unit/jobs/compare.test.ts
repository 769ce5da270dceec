// The compare job at AFCC's per-layer sparsity; masked fine-tuning through the prune job; and a
// cancelled prune job leaving nothing behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compareJob } from '../../../src/engine/jobs/compare';
import { JobCancelled } from '../../../src/engine/core/errors';
import { quietContext, type JobContext } from '../../../src/engine/core/context';
import { pruneJob } from '../../../src/engine/jobs/prune';
import type { JobProgress } from '../../../src/protocol/engine';
import { copyTiny, exists, tempFolder, useWasm, writeIdxFamily, writtenKernels } from './helpers';

/** Kernel sizes of the tiny model's targeted layers: conv2 3·3·4·8, logits 2·2·8·10. */
const SIZES: Record<string, number> = { conv2: 288, logits: 320 };

describe('compare, fine-tuning and cancellation (tiny model, generated IDX data)', () => {
  let dir: string;
  let model: string;
  let data: string;

  before(async () => {
    await useWasm();
    dir = await tempFolder('jobs');
    model = await copyTiny(dir);
    data = await writeIdxFamily(dir);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('compare: every method but global-magnitude at AFCC\'s per-layer sparsity (± 1 weight)', async () => {
    const tensors = tf.memory().numTensors;
    const report = await compareJob(
      { model, data, methods: ['afcc', 'magnitude', 'global-magnitude', 'l1-kernel', 'random', 'random-afcc'], targetSparsity: 0.7, readoutEpochs: 2, seed: 2 },
      quietContext(),
    );
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    const afcc = report.rows.find((r) => r.method === 'afcc')!;
    assert.ok(afcc.targetedSparsity >= 0.7);
    assert.deepEqual(Object.keys(afcc.layerSparsity).sort(), ['conv2', 'logits']);
    for (const row of report.rows) {
      if (row.method === 'global-magnitude') {
        // Matched in total only: the weighted mean over the two kernels is AFCC's.
        const total = (r: typeof row) => Object.entries(r.layerSparsity).reduce((s, [name, v]) => s + v * SIZES[name], 0);
        assert.ok(Math.abs(total(row) - total(afcc)) <= 1, `global-magnitude total zeros ${total(row)} vs ${total(afcc)}`);
        continue;
      }
      for (const [layer, sparsity] of Object.entries(afcc.layerSparsity)) {
        const diff = Math.abs(row.layerSparsity[layer] - sparsity) * SIZES[layer];
        assert.ok(diff <= 1 + 1e-9, `${row.method} ${layer}: ${row.layerSparsity[layer]} vs AFCC ${sparsity} (${diff.toFixed(2)} weights apart)`);
      }
      assert.ok(row.accuracyBnRecalibrated, `${row.method}: accuracy with BatchNorm re-estimated`);
    }
  });

  it('prune with fine-tuning (1 epoch): masked weights are exactly zero in the written model', async () => {
    const out = path.join(dir, 'finetuned', 'model.json');
    const progress: JobProgress[] = [];
    const ctx: JobContext = { ...quietContext(), progress: (p) => progress.push(p) };
    const report = await pruneJob({ model, data, method: 'magnitude', sparsity: 0.6, finetune: { epochs: 1, batchSize: 32 }, out }, ctx);
    assert.equal(report.finetune?.epochs, 1);
    assert.equal(report.finetune?.trainData.samples, 400, 'the train split beside t10k was used');
    assert.ok(progress.some((p) => p.stage === 'finetune'), 'fine-tuning progress was reported');
    const before = await writtenKernels(model);
    const written = await writtenKernels(out);
    let changed = 0;
    for (const name of ['conv2', 'logits']) {
      const original = before.get(name)!.kernel;
      const tuned = written.get(name)!.kernel;
      // The mask is magnitude's: the round(0.6·n) smallest |w| of the original kernel.
      const order = Array.from(original.keys()).sort((a, b) => Math.abs(original[a]) - Math.abs(original[b]) || a - b);
      const pruned = order.slice(0, Math.round(0.6 * original.length));
      for (const i of pruned) assert.ok(Object.is(tuned[i], 0), `${name}[${i}] is +0 after fine-tuning (got ${tuned[i]})`);
      for (const i of order.slice(pruned.length)) if (tuned[i] !== original[i]) changed++;
    }
    assert.ok(changed > 0, 'fine-tuning changed the kept weights');
  });

  it('cancelled mid-job (during fine-tuning): no output file or folder is left', async () => {
    const out = path.join(dir, 'cancelled', 'model.json');
    const controller = new AbortController();
    const ctx: JobContext = {
      ...quietContext(controller.signal),
      progress: (p) => {
        if (p.stage === 'finetune') controller.abort();
      },
    };
    const tensors = tf.memory().numTensors;
    await assert.rejects(pruneJob({ model, data, method: 'magnitude', sparsity: 0.5, finetune: { epochs: 3, batchSize: 16 }, out }, ctx), JobCancelled);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    assert.equal(await exists(path.dirname(out)), false, 'no output folder');
    assert.equal(await exists(path.join(dir, 'model.pruned')), false, 'no default output either');
  });
});
