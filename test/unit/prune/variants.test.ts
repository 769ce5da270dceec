// The AFCC variants (src/engine/prune/README.md): afcc-balanced's class-balanced label sets and
// entry levels, afcc-hybrid's candidate cut and magnitude choice, each on small inputs worked out
// by hand; both against AFCC's own masks on a real analysis; exact per-layer sparsity; and the
// zoo ResNet through both, masked and structurally reduced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyzeSfp, DEFAULT_SFP, type SfpAnalysis } from '../../../src/engine/sfp/analyze';
import { quietContext } from '../../../src/engine/core/context';
import { afccMasks, maskZeros } from '../../../src/engine/prune/afcc';
import { applyMasks } from '../../../src/engine/prune/apply';
import { balancedKernelMask, balancedLabelSets, balancedSets, entryLevels, rankShares, rankTables } from '../../../src/engine/prune/balanced';
import type { KernelValues } from '../../../src/engine/prune/baselines';
import { kernelSides, unitDiagonals, type ChannelTable } from '../../../src/engine/prune/channelScores';
import { afccStrengths, hybridKernelMask } from '../../../src/engine/prune/hybrid';
import { kernelZerosOf, type MaskPlan } from '../../../src/engine/prune/methods';
import { needsSfp, planAtReference, planAtZeros, planMasks } from '../../../src/engine/prune/pipeline';
import { removeDeadFilters } from '../../../src/engine/prune/structured';
import { afccMasksAt } from '../../../src/engine/prune/threshold';
import { openModel } from '../../../src/engine/formats';
import { openDataset } from '../../../src/engine/data';
import { modelGraph, unitsNeeded, type ModelGraph } from '../../../src/engine/sfp/graph';
import { repoRoot } from '../formats/helpers';
import { patchDataset, tinyVgg } from '../sfp/helpers';

const table = (rows: number[][]): ChannelTable => ({ channels: rows.length, classes: rows[0]!.length, values: Float64Array.from(rows.flat()) });
const rows = (t: ChannelTable): number[][] => Array.from({ length: t.channels }, (_, f) => [...t.values.subarray(f * t.classes, (f + 1) * t.classes)]);
const kernel = (values: number[], spatial: number, inputs: number, outputs: number): KernelValues => ({
  layer: 'k', shape: [spatial, inputs, outputs], values: Float32Array.from(values), spatial, inputs, outputs,
});
const zerosOf = (keep: Uint8Array): number[] => [...keep.keys()].filter((i) => keep[i] === 0);

test('balanced: per-class ranks, and label sets where every class is held by q channels', () => {
  // 4 channels, 3 classes; d_f(c) = normalised diagonals.
  const d = table([
    [0.9, 0.1, 0.3],
    [0.8, 0.7, -0.1],
    [0.95, 0.2, 0.4],
    [0.5, 0.0, 0.6],
  ]);
  // Class 0 by d descending: f2, f0, f1, f3. Class 1: f1, f2, f0 (f3's 0 selects nothing). Class 2: f3, f2, f0 (f1 negative).
  assert.deepEqual(rows(rankShares(d)), [
    [2 / 4, 3 / 4, 3 / 4],
    [3 / 4, 1 / 4, Infinity],
    [1 / 4, 2 / 4, 2 / 4],
    [4 / 4, Infinity, 1 / 4],
  ]);
  // AFCC at 0.35: L = {0}, {0,1}, {0,2}, {0,2}: class 0 in all four, class 1 in one. 7 memberships
  // over 3 classes: q = round(7/3) = 2 channels per class.
  const { sets, perClass } = balancedLabelSets(new Map([['u', d]]), 0.35);
  assert.equal(perClass.get('u'), 2);
  assert.deepEqual(sets.get('u'), [[0], [1], [0, 1, 2], [2]]);
  for (let c = 0; c < 3; c++) assert.equal(sets.get('u')!.filter((s) => s.includes(c)).length, 2, `class ${c}`);
  // q = 1: each class's strongest channel only; at least one channel per class even at a high threshold.
  assert.deepEqual(balancedSets(rankShares(d), 1), [[], [1], [0], [2]]);
  assert.equal(balancedLabelSets(new Map([['u', d]]), 0.99).perClass.get('u'), 1);
});

test('balanced: entry levels of conv→conv and classifier slices', () => {
  // Conv→conv: in ranks (F_in = 2), out ranks (F_out = 4) as shares; e = min_c max(r_in, r_out).
  const levels = entryLevels({ inputs: [Float64Array.of(0.5, 1), Float64Array.of(1, 0.5)], outputs: [Float64Array.of(0.25, Infinity), Float64Array.of(0.75, 0.5)], classes: 2 });
  assert.deepEqual([...levels], [0.5, 0.75, 1, 0.5]);
  // Classifier: e(f, c) = r(f, c).
  const ranks = rankShares(table([[0.9, 0.1, 0.3], [0.8, 0.7, -0.1], [0.95, 0.2, 0.4], [0.5, 0.0, 0.6]]));
  const sides = { inputs: rows(ranks).map((r) => Float64Array.from(r)), outputs: null, classes: 3 };
  assert.deepEqual([...entryLevels(sides)], rows(ranks).flat());
});

test('balanced: exact zeros, slices latest to enter go first, ties by smaller L1', () => {
  const ranks = rankShares(table([[0.9, 0.1, 0.3], [0.8, 0.7, -0.1], [0.95, 0.2, 0.4], [0.5, 0.0, 0.6]]));
  const levels = entryLevels({ inputs: rows(ranks).map((r) => Float64Array.from(r)), outputs: null, classes: 3 });
  // Dense 4 → 3 (spatial 1): slice f·3 + c. Levels: ∞ at 5 and 10, 1 at 9, 3/4 at 1, 2, 3.
  // Among the 3/4 ties, |w| 0.3 (3) < 0.4 (2) < 0.5 (1).
  const k = kernel([0.1, 0.5, -0.4, 0.3, 0.2, 0.9, 0.1, 0.1, 0.1, 0.8, -0.7, 0.1], 1, 4, 3);
  assert.deepEqual(zerosOf(balancedKernelMask(k, levels, 5).keep), [2, 3, 5, 9, 10]);
  assert.deepEqual(zerosOf(balancedKernelMask(k, levels, 2).keep), [5, 10]);
  // A partial slice loses its smallest |w|: spatial 2, 1 → 2, levels [∞, 0.5]; 3 zeros = slice 0 and the smaller of slice 1.
  const two = kernel([0.3, 0.2, -0.1, -0.4], 2, 1, 2);
  assert.deepEqual(zerosOf(balancedKernelMask(two, Float64Array.of(Infinity, 0.5), 3).keep), [0, 1, 2]);
  assert.throws(() => balancedKernelMask(k, levels, 13), /cannot prune 13 of 12/);
});

test('hybrid: AFCC strengths are the thresholds at which AFCC cuts each slice', () => {
  const sides = {
    inputs: [Float64Array.of(0.9, 0.2, 0.1), Float64Array.of(0.1, 0.8, 0.5), Float64Array.of(-Infinity, -Infinity, -Infinity)],
    outputs: [Float64Array.of(1, 0.3, 0), Float64Array.of(0.2, 0.6, 0.7)],
    classes: 3,
  };
  // a(f,o) = max_c min(d_f(c), d_o(c)): f0→o0 0.9, f0→o1 0.2, f1→o0 0.3, f1→o1 0.6, the empty f2 −∞.
  assert.deepEqual([...afccStrengths(sides)], [0.9, 0.2, 0.3, 0.6, -Infinity, -Infinity]);
  // The classifier: a(f, c) = d_f(c).
  assert.deepEqual([...afccStrengths({ ...sides, outputs: null })], [0.9, 0.2, 0.1, 0.1, 0.8, 0.5, -Infinity, -Infinity, -Infinity]);
});

test('hybrid: magnitude chooses among the candidates, the strongest links stay whatever their weights', () => {
  const strength = Float64Array.of(0.9, 0.2, 0.3, 0.6, -Infinity, -Infinity);
  // 2 taps × 3 in × 2 out = 12 weights; slice f·2 + o at indices s·6 + slice.
  const values = [0.01, 0.5, -0.05, 0.02, 0.3, -0.2, 0.03, 0.04, 0.9, 0.001, -0.06, 0.7];
  const k = kernel(values, 2, 3, 2);
  // 4 zeros: candidates must hold 4 + ⌈8/2⌉ = 8 weights: slices 4, 5 (−∞), 1 (0.2), 2 (0.3); threshold 0.3.
  const cut = hybridKernelMask(k, strength, 4);
  assert.equal(cut.candidateThreshold, 0.3);
  assert.equal(cut.candidates, 8);
  // Candidate |w|: 2 .05, 7 .04, 10 .06, 5 .2, 4 .3, ... → zeros 7, 2, 10, 5. Magnitude alone would
  // take 9, 0, 3, 6, all in the protected slices 0 and 3.
  assert.deepEqual(zerosOf(cut.mask.keep), [2, 5, 7, 10]);
  // Equally strong slices are taken by L1, smallest first: with slices 2 and 3 both at 0.6, the
  // last two candidate weights come from slice 3 (L1 .021), not slice 2 (L1 .95).
  const tied = hybridKernelMask(k, Float64Array.of(0.9, 0.2, 0.6, 0.6, -Infinity, -Infinity), 4);
  assert.equal(tied.candidateThreshold, 0.6);
  assert.equal(tied.candidates, 8);
  assert.deepEqual(zerosOf(tied.mask.keep), [3, 7, 9, 10]);
  assert.deepEqual(zerosOf(hybridKernelMask(k, strength, 0).mask.keep), []);
  assert.equal(zerosOf(hybridKernelMask(k, strength, 12).mask.keep).length, 12);
});

let tiny: { model: tf.Sequential; analysis: SfpAnalysis } | undefined;
async function tinyAnalysis(): Promise<{ model: tf.Sequential; analysis: SfpAnalysis }> {
  if (!tiny) {
    const model = tinyVgg(6);
    const analysis = await analyzeSfp(model, patchDataset(120, 6, 2), { ...DEFAULT_SFP, readout: { ...DEFAULT_SFP.readout, epochs: 2 } }, quietContext());
    tiny = { model, analysis };
  }
  return tiny;
}

/** The slice table (any tap kept) of a mask. */
function slicesKept(keep: Uint8Array, slices: number): number[] {
  const kept = new Array<number>(slices).fill(0);
  for (let i = 0; i < keep.length; i++) kept[i % slices] ||= keep[i]!;
  return kept;
}

test('on a real analysis: AFCC at t keeps exactly the slices stronger than t; balanced sets at share ρ keep exactly the slices entering by ρ', async () => {
  const { analysis } = await tinyAnalysis();
  const graph = analysis.graph;
  const targets = ['conv2', 'conv3', 'out'];
  const diagonals = unitDiagonals(analysis);
  const ranks = rankTables(diagonals);
  for (const t of [0, 0.2, 0.5, 0.8]) {
    for (const mask of afccMasksAt(analysis, targets, t)) {
      const strength = afccStrengths(kernelSides(graph, mask.layer, diagonals));
      assert.deepEqual(slicesKept(mask.keep, strength.length), [...strength].map((a) => (a > t ? 1 : 0)), `${mask.layer} at ${t}`);
    }
  }
  for (const share of [0.25, 0.5, 0.75, 1]) {
    const sets = new Map([...ranks].map(([unit, r]) => [unit, balancedSets(r, share * r.channels)]));
    for (const mask of afccMasks(graph, sets, targets)) {
      const levels = entryLevels(kernelSides(graph, mask.layer, ranks));
      assert.deepEqual(slicesKept(mask.keep, levels.length), [...levels].map((e) => (e <= share + 1e-12 ? 1 : 0)), `${mask.layer} at share ${share}`);
    }
  }
});

test('both variants reach the per-layer sparsity exactly (--sparsity, a reference\'s zeros, per-layer zeros)', async () => {
  const { analysis } = await tinyAnalysis();
  const graph = analysis.graph;
  const targets = ['conv2', 'conv3', 'out'];
  for (const method of ['afcc-balanced', 'afcc-hybrid'] as const) {
    assert.equal(needsSfp(method), true);
    for (const sparsity of [0.3, 0.77, 0.95]) {
      const plan = planMasks({ method, graph, targets, seed: 1, threshold: 0.3, sparsity, analysis });
      for (const m of plan.masks) assert.equal(maskZeros(m), Math.round(sparsity * m.keep.length), `${method} ${m.layer} at ${sparsity}`);
    }
    const reference = afccMasksAt(analysis, targets, 0.6);
    const matched = planAtReference(method, { graph, targets, seed: 1, threshold: 0.6, analysis }, reference, 0.6);
    assert.deepEqual([...kernelZerosOf(graph, matched.masks)], [...kernelZerosOf(graph, reference)], `${method} at AFCC's zeros`);
    const zeros = new Map([['conv2', 10], ['conv3', 200], ['out', 0]]);
    const planned = planAtZeros(method, { graph, targets, seed: 1, threshold: 0.3, analysis }, zeros);
    assert.deepEqual(planned.masks.map((m) => [m.layer, maskZeros(m)]), [...zeros]);
  }
  // Without --sparsity: the hybrid at AFCC's per-layer zeros at the threshold, balanced at its own label sets.
  const hybrid = planMasks({ method: 'afcc-hybrid', graph, targets, seed: 1, threshold: 0.5, analysis });
  assert.deepEqual([...kernelZerosOf(graph, hybrid.masks)], [...kernelZerosOf(graph, afccMasksAt(analysis, targets, 0.5))]);
  assert.match(hybrid.notes.join(' '), /afcc-hybrid candidates .*conv2 threshold/);
  const balanced = planMasks({ method: 'afcc-balanced', graph, targets, seed: 1, threshold: 0.5, analysis });
  assert.equal(balanced.threshold, 0.5);
  assert.match(balanced.notes.join(' '), /channels holding each class, per unit/);
  // Without the analysis the variants refuse readably.
  assert.throws(() => planMasks({ method: 'afcc-hybrid', graph, targets, seed: 1, threshold: 0.3, sparsity: 0.5 }), /needs the SFP analysis/);
});

test('afcc-balanced on the tiny model: every class held by min(q, its selecting channels) channels of each unit', async () => {
  const { analysis } = await tinyAnalysis();
  const diagonals = unitDiagonals(analysis);
  const { sets, perClass } = balancedLabelSets(diagonals, 0.5);
  for (const [unit, d] of diagonals) {
    const q = perClass.get(unit)!;
    for (let c = 0; c < d.classes; c++) {
      let selecting = 0;
      for (let f = 0; f < d.channels; f++) if (d.values[f * d.classes + c]! > 0) selecting++;
      assert.equal(sets.get(unit)!.filter((s) => s.includes(c)).length, Math.min(q, selecting), `${unit} class ${c}`);
    }
  }
});

/** Every target of the graph whose in-channels carry label sets. */
const linkedTargets = (graph: ModelGraph): string[] => graph.targets.filter((t) => t.inputUnits !== null).map((t) => t.name);

test('zoo ResNet (Add, projection shortcuts, GAP): both variants on every linked target, masked and structurally reduced', { timeout: 240_000 }, async () => {
  const { model } = await openModel(path.join(repoRoot, 'test/fixtures/zoo/resnet.keras'));
  const data = await openDataset(path.join(repoRoot, 'examples/data'), { inputShape: [28, 28, 1], classes: 10, limit: 200, preprocessing: { scale: '0..1' } });
  try {
    const graph = modelGraph(model);
    const targets = linkedTargets(graph);
    assert.ok(targets.length >= 6, `linked targets: ${targets.join(', ')}`);
    assert.ok(targets.includes('block2_proj_conv') && targets.includes('predictions'));
    const analysis = await analyzeSfp(model, data, { ...DEFAULT_SFP, blocks: unitsNeeded(graph, targets), poolTo: null, readout: { ...DEFAULT_SFP.readout, epochs: 1 } }, quietContext());
    const original = model.getWeights().map((w) => w.clone());
    const batch = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 5);
    try {
      const reduce = async (label: string, plan: MaskPlan): Promise<number> => {
        applyMasks(model, plan.masks);
        const masked = model.predict(batch) as tf.Tensor;
        const reduced = await removeDeadFilters(model, { remove: plan.removeFilters });
        const again = reduced.model.predict(batch) as tf.Tensor;
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(masked, again))).dataSync()[0]!);
        assert.ok(diff <= 1e-4, `${label}: the reduced model predicts what the masked one did (max |Δ| ${diff})`);
        tf.dispose([masked, again]);
        reduced.model.dispose();
        model.setWeights(original);
        return reduced.layers.reduce((n, l) => n + l.before - l.after, 0);
      };
      for (const method of ['afcc-balanced', 'afcc-hybrid'] as const) {
        for (const sparsity of [0.6, 0.9]) {
          const plan = planMasks({ method, graph, targets, seed: 1, threshold: 0.3, sparsity, analysis });
          assert.deepEqual(plan.masks.map((m) => m.layer), targets);
          for (const m of plan.masks) assert.equal(maskZeros(m), Math.round(sparsity * m.keep.length), `${method} ${m.layer} at ${sparsity}`);
          const removed = await reduce(`${method} at ${sparsity}`, plan);
          // Balanced ranks drop a channel's slices together once no class ranks it high enough: at 90% whole channels go.
          if (method === 'afcc-balanced' && sparsity === 0.9) assert.ok(removed > 0, 'afcc-balanced at 90% leaves channels with no connection');
        }
      }
      // Balanced label sets at a threshold (no --sparsity) on the same graph: the channels its sets
      // leave empty are named for --structured, and removing them keeps the predictions.
      const balanced = planMasks({ method: 'afcc-balanced', graph, targets, seed: 1, threshold: 0.8, analysis });
      assert.ok(balanced.removeFilters && Object.keys(balanced.removeFilters).length > 0, 'empty balanced label sets are named for removal');
      for (const unit of Object.keys(balanced.removeFilters)) assert.ok(graph.units.some((u) => u.name === unit), unit);
      assert.ok((await reduce('afcc-balanced at threshold 0.8', balanced)) > 0);
    } finally {
      batch.dispose();
      original.forEach((w) => w.dispose());
    }
  } finally {
    data.close?.();
    model.dispose();
  }
});
