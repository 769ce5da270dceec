// --structured through the prune job: the smaller model is written in each of the three formats,
// reloads, and predicts what the masked model (the same job without --structured) predicts; the
// report's widths, params, MACs and bytes describe the written file. Also the committed Keras
// fixture of a structurally pruned model, whose config widths h5py reads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../../../src/engine/formats';
import { quietContext } from '../../../src/engine/core/context';
import { pruneJob } from '../../../src/engine/jobs/prune';
import type { PruneParams } from '../../../src/protocol/engine';
import type { ModelFormat } from '../../../src/protocol/report';
import { copyTiny, repoRoot, tempFolder, useWasm, writeIdxFamily } from './helpers';

const fixture = path.join(repoRoot, 'test/fixtures/keras/structured/tiny_sfp_filters.h5');

/** Predictions of the model at `file` on a fixed batch of 8x8x1 inputs. */
async function predictions(file: string): Promise<{ values: Float32Array; widths: Record<string, number> }> {
  const loaded = await openModel(file);
  try {
    const x = tf.randomUniform([32, 8, 8, 1], 0, 1, 'float32', 21);
    const y = loaded.model.predict(x) as tf.Tensor;
    const values = Float32Array.from(await y.data());
    tf.dispose([x, y]);
    const widths = Object.fromEntries(loaded.model.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => {
      const shape = l.getWeights()[0].shape;
      return [l.name, shape[shape.length - 1]];
    }));
    return { values, widths };
  } finally {
    loaded.model.dispose();
  }
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('structured pruning through the prune job', () => {
  let dir: string;
  let model: string;
  let data: string;
  let masked: Awaited<ReturnType<typeof predictions>>;
  const job = (extra: Partial<PruneParams>): PruneParams => ({ model, data, method: 'sfp-filters', sparsity: 0.5, readoutEpochs: 2, seed: 5, ...extra });

  before(async () => {
    await useWasm();
    dir = await tempFolder('structured');
    model = await copyTiny(dir);
    data = await writeIdxFamily(dir);
    const report = await pruneJob(job({ out: path.join(dir, 'masked', 'model.json') }), quietContext());
    masked = await predictions(report.output!.path);
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  for (const [format, name] of [['tfjs-layers', 'slim/model.json'], ['keras-h5', 'slim.h5'], ['keras-v3', 'slim.keras']] as [ModelFormat, string][]) {
    it(`sfp-filters --structured as ${format}: fewer filters, same predictions as the masked model`, async () => {
      const tensors = tf.memory().numTensors;
      const report = await pruneJob(job({ structured: true, format, out: path.join(dir, name) }), quietContext());
      assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
      const output = report.output!;
      assert.equal(output.structured, true);
      assert.equal(output.format, format);
      const written = await predictions(output.path);
      assert.ok(maxDiff(written.values, masked.values) <= 1e-5, `max |Δ| vs masked ${maxDiff(written.values, masked.values)}`);
      // sfp-filters at 0.5 keeps 2 of conv1's 4 filters and 4 of conv2's 8.
      assert.deepEqual(written.widths, { conv1: 2, conv2: 4, logits: 10 });
      assert.deepEqual(masked.widths, { conv1: 4, conv2: 8, logits: 10 });
      const st = report.structured!;
      assert.deepEqual(st.layers.map((l) => [l.name, l.filtersBefore, l.filtersAfter]), [['conv1', 4, 2], ['bn1', 4, 2], ['conv2', 8, 4], ['bn2', 8, 4], ['logits', 10, 10]]);
      // conv1: 3·3·1·2 + 2; conv2: 3·3·2·4 + 4; logits: 2·2·4·10 (no bias); BN: 4 per channel.
      assert.deepEqual(st.layers.map((l) => l.paramsAfter), [20, 8, 76, 16, 160]);
      assert.ok(st.params.after < st.params.before && st.macs.after < st.macs.before, 'fewer params and MACs');
      assert.equal(st.params.after, report.totals.after.params);
      assert.equal(st.bytes.after, output.bytes);
      assert.ok(st.bytes.after < st.bytes.before || format !== 'tfjs-layers', 'a smaller file');
      assert.deepEqual(report.latency?.map((l) => l.batch), [1, 64]);
      for (const l of report.latency!) assert.ok(l.beforeMs > 0 && l.afterMs > 0 && l.runs! >= 3 && l.beforeMinMs! <= l.beforeMs && l.afterMinMs! <= l.afterMs);
    });
  }

  it('afcc --structured removes the empty-label filters and equals the masked AFCC model', async () => {
    const params = { method: 'afcc', targetSparsity: 0.85 } as const;
    const reference = await pruneJob(job({ ...params, out: path.join(dir, 'afcc-masked.h5') }), quietContext());
    const report = await pruneJob(job({ ...params, structured: true, out: path.join(dir, 'afcc-slim.h5') }), quietContext());
    assert.equal(reference.output!.format, 'keras-h5', 'an .h5 --out without --format is written as Keras HDF5');
    const [a, b] = [await predictions(reference.output!.path), await predictions(report.output!.path)];
    assert.ok(maxDiff(a.values, b.values) <= 1e-5);
    const empty = report.sfp!.layers.find((l) => l.name === 'conv2')!.filters.filter((f) => f.labels.length === 0).length;
    assert.ok(b.widths.conv2 <= 8 - empty, `conv2 ${b.widths.conv2} filters, ${empty} with an empty label set`);
  });

  it('refuses a --format that contradicts the --out name, writing nothing', async () => {
    const out = path.join(dir, 'conflict.h5');
    await assert.rejects(pruneJob(job({ format: 'keras-v3', out }), quietContext()), /--format keras-v3 does not match/);
    assert.equal(await fs.stat(out).then(() => true, () => false), false);
  });

  it('the committed structured Keras fixture has the narrowed widths in its model_config (h5py)', async () => {
    const script = [
      'import h5py, json, sys',
      'f = h5py.File(sys.argv[1], "r")',
      'cfg = json.loads(f.attrs["model_config"])',
      'widths = {l["config"]["name"]: l["config"].get("filters", l["config"].get("units")) for l in cfg["config"]["layers"] if l["class_name"] in ("Conv2D", "Dense")}',
      'kernels = {k: list(f["model_weights"][k][k]["kernel:0"].shape) for k in widths}',
      'kernels.update({k: list(f["model_weights"][k][k]["gamma:0"].shape) for k in ("bn1", "bn2")})',
      'print(json.dumps({"widths": widths, "kernels": kernels, "version": f.attrs["keras_version"]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, fixture], { encoding: 'utf8' })) as {
      widths: Record<string, number>; kernels: Record<string, number[]>;
    };
    assert.deepEqual(out.widths, { conv1: 2, conv2: 4, logits: 10 });
    assert.deepEqual(out.kernels, { conv1: [3, 3, 1, 2], conv2: [3, 3, 2, 4], logits: [16, 10], bn1: [2], bn2: [4] });
    // Quench's own reader builds it with the same widths, and it still predicts a distribution.
    const loaded = await predictions(fixture);
    assert.deepEqual(loaded.widths, out.widths);
    for (let n = 0; n < 32; n++) assert.ok(Math.abs(loaded.values.slice(n * 10, n * 10 + 10).reduce((a, v) => a + v, 0) - 1) < 1e-5);
  });
});
