import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSfp, DEFAULT_SFP } from '../../../src/engine/sfp/analyze';
import { quietContext } from '../../../src/engine/core/context';
import { maskSparsity } from '../../../src/engine/prune/afcc';
import { afccMasksAt, searchThreshold } from '../../../src/engine/prune/threshold';
import { patchDataset, tinyVgg } from '../sfp/helpers';

test('the shared threshold search reaches the target on the stored matrices and picks the smallest grid step', async () => {
  const model = tinyVgg(6);
  const analysis = await analyzeSfp(model, patchDataset(120, 6, 2), { ...DEFAULT_SFP, readout: { ...DEFAULT_SFP.readout, epochs: 2 } }, quietContext());
  const targets = ['conv3', 'out'];
  for (const target of [0.5, 0.8]) {
    const choice = searchThreshold(analysis, targets, target);
    assert.ok(choice.sparsity >= target, `${target}: ${choice.sparsity}`);
    assert.equal(maskSparsity(afccMasksAt(analysis, targets, choice.threshold)), choice.sparsity);
    // One grid step below the chosen threshold does not reach the target.
    const lower = Math.floor(choice.threshold * 100) / 100 - 0.01;
    if (lower >= 0) assert.ok(maskSparsity(afccMasksAt(analysis, targets, lower)) < target);
  }
  assert.throws(() => searchThreshold(analysis, targets, 1.01), /no cluster threshold reaches/);
  model.dispose();
});
