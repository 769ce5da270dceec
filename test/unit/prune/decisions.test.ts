// The report carries the engine's decisions: per targeted kernel the units that judge it and the
// slices its mask keeps (what the panel draws), per layer whether it is prunable and why not.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openModel } from '../../../src/engine/formats/index';
import { modelCounts } from '../../../src/engine/prune/apply';
import { planMasks, prunedLayers } from '../../../src/engine/prune/pipeline';
import { modelGraph } from '../../../src/engine/sfp/graph';
import { repoRoot } from '../formats/helpers';

test('magnitude on the zoo ResNet: decisions name the Add unit a residual conv writes, slices match the mask', async () => {
  const { model } = await openModel(path.join(repoRoot, 'test/fixtures/zoo/resnet.keras'));
  try {
    const graph = modelGraph(model);
    const targets = ['block2_2_conv', 'block2_proj_conv', 'predictions'];
    const plan = planMasks({ method: 'magnitude', graph, targets, seed: 1, threshold: 0.3, sparsity: 0.6 });
    const counts = modelCounts(model);
    const rows = prunedLayers(model, graph, counts, counts, plan.masks);
    const row = (name: string) => rows.find((r) => r.name === name)!;
    assert.deepEqual(row('block2_2_conv').decision!.outputUnits, row('block2_proj_conv').decision!.outputUnits);
    assert.equal(row('predictions').decision!.outputUnits, 'classes');
    for (const mask of plan.masks) {
      const d = row(mask.layer).decision!;
      const bits = Buffer.from(d.slices, 'base64');
      const slices = d.inputs * d.outputs;
      const spatial = mask.keep.length / slices;
      let kept = 0;
      for (let slice = 0; slice < slices; slice++) {
        let alive = 0;
        for (let s = 0; s < spatial; s++) alive |= mask.keep[s * slices + slice]!;
        assert.equal((bits[slice >> 3]! >> (slice & 7)) & 1, alive, `${mask.layer} slice ${slice}`);
        kept += alive;
      }
      assert.equal(d.slicesKept, kept);
    }
    assert.equal(row('block2_2_bn').prunable, false);
    assert.match(row('block2_2_bn').whyNot!, /keeps channels/);
    assert.equal(row('block3_1_conv').prunable, true);
    assert.equal(row('block3_1_conv').decision, undefined);
  } finally {
    model.dispose();
  }
});
