// The prune job end to end on the tiny TF.js model and a generated IDX family (t10k + train):
// report fields against the model actually written, for AFCC and two baselines.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { quietContext } from '../../../src/engine/core/context';
import { pruneJob } from '../../../src/engine/jobs/prune';
import type { PruneParams } from '../../../src/protocol/engine';
import type { PruneReport } from '../../../src/protocol/report';
import { copyTiny, exists, tempFolder, useWasm, writeIdxFamily, writtenKernels, zerosIn } from './helpers';

const sha256 = async (file: string) => createHash('sha256').update(await fs.readFile(file)).digest('hex');

describe('prune job (tiny model, generated IDX data)', () => {
  let dir: string;
  let model: string;
  let data: string;
  let inputHash: string;

  before(async () => {
    await useWasm();
    dir = await tempFolder('prune-job');
    model = await copyTiny(dir);
    data = await writeIdxFamily(dir);
    inputHash = (await sha256(model)) + (await sha256(path.join(dir, 'group1-shard1of1.bin')));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  /** Checks every report field the test can derive from the written model, then removes it. */
  async function checkWritten(report: PruneReport, params: PruneParams): Promise<void> {
    assert.ok(report.output, 'a model was written');
    assert.equal(report.output.path, path.join(dir, 'model.pruned', 'model.json'), 'default output is <name>.pruned beside the input');
    assert.equal(report.output.verified, true);
    assert.ok(report.output.maxAbsDiff <= 1e-5, `max |Δ| ${report.output.maxAbsDiff}`);
    assert.equal(report.output.structured, false);
    assert.equal(report.method, params.method);
    const kernels = await writtenKernels(report.output.path);
    const targeted = report.layers.filter((l) => l.targeted);
    assert.deepEqual(targeted.map((l) => l.name), ['conv2', 'logits']);
    let zeros = 0;
    let size = 0;
    for (const layer of report.layers) {
      const written = kernels.get(layer.name);
      if (!written) continue;
      assert.equal(layer.after.zeros, written.zeros, `${layer.name}: after.zeros = zeros in the written model's weights`);
      if (layer.targeted) {
        zeros += zerosIn(written.kernel);
        size += written.kernel.length;
      } else {
        assert.equal(layer.after.zeros, layer.before.zeros, `${layer.name} is not targeted and keeps its zeros`);
      }
    }
    assert.ok(Math.abs(report.targetedSparsity - zeros / size) < 1e-12, 'targetedSparsity = zeros of the written targeted kernels');
    if (params.targetSparsity !== undefined) assert.ok(report.targetedSparsity >= params.targetSparsity, `${report.targetedSparsity} ≥ ${params.targetSparsity}`);
    // --sparsity masks exactly round(s·n) weights per layer; zeros the kernel already had may add.
    if (params.sparsity !== undefined) assert.ok(report.targetedSparsity >= params.sparsity - 1 / size, `${report.targetedSparsity} ≥ ${params.sparsity}`);
    // Magnitude prunes the existing zeros first (smallest |w|), so it lands on the count exactly.
    if (params.method === 'magnitude') assert.ok(Math.abs(zeros - Math.round(params.sparsity! * size)) <= 2, `${zeros} zeros for ${params.sparsity} of ${size}`);
    assert.equal(report.accuracy.before.samples, 300);
    assert.ok(report.accuracy.afterMask && report.accuracy.afterBnRecalibration, 'accuracy after masking and after BN re-estimation');
    assert.equal(report.totals.after.bytes, report.output.bytes);
    const input = (await sha256(model)) + (await sha256(path.join(dir, 'group1-shard1of1.bin')));
    assert.equal(input, inputHash, 'the input model is untouched');
  }

  for (const params of [
    { method: 'afcc', targetSparsity: 0.6 },
    { method: 'magnitude', sparsity: 0.5 },
    { method: 'random-afcc', sparsity: 0.7 },
  ] as const) {
    it(`${params.method}: report matches the written model`, async () => {
      const tensors = tf.memory().numTensors;
      const full: PruneParams = { model, data, readoutEpochs: 2, seed: 3, ...params };
      const report = await pruneJob(full, quietContext());
      assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
      if (params.method !== 'magnitude') assert.ok(report.sfp, 'SFP section present');
      try {
        await checkWritten(report, full);
      } finally {
        await fs.rm(path.join(dir, 'model.pruned'), { recursive: true, force: true });
      }
    });
  }

  it('refuses an output over the input and leaves it untouched', async () => {
    await assert.rejects(pruneJob({ model, data, method: 'magnitude', sparsity: 0.5, out: model }, quietContext()), /input/);
    assert.equal((await sha256(model)) + (await sha256(path.join(dir, 'group1-shard1of1.bin'))), inputHash);
    assert.equal(await exists(path.join(dir, 'model.pruned')), false);
  });
});
