// Typed budget and sweep reports with known numbers, for the panel and export tests: a 0.5 pp
// budget on 2,000 images split 1,000 / 1,000, method auto where AFCC beat magnitude by 3 pp of the
// parameters after one back-off step.
import type { AccuracyResult, BudgetAttempt, BudgetSection, PruneReport, SensitivityCurve, SweepReport } from '../../../src/protocol/report';
import { samplePrune } from './sampleReports';

const acc = (top1: number, samples = 1000): AccuracyResult => ({ top1, top5: 0.99, perClass: Array.from({ length: 10 }, () => top1), loss: 0.3, samples });

const LADDER = [0.3, 0.5, 0.7, 0.9];

function curve(layer: string, method: 'afcc' | 'magnitude', drops: number[], weight: number): SensitivityCurve {
  return { layer, method, baseline: 0.9, weight, points: LADDER.map((sparsity, i) => ({ sparsity, top1: 0.9 - drops[i] / 100 })) };
}

const attempt = (method: 'afcc' | 'magnitude', scale: number, removed: number, verifiedDrop: number, layerSparsity: Record<string, number>, maxDrop = 0.5): BudgetAttempt => ({
  method, scale, layerSparsity, removed, predictedDrop: verifiedDrop * 0.8, calibrationTop1: 0.9 - verifiedDrop / 100, heldOutTop1: 0.905 - verifiedDrop / 100, verifiedDrop, withinBudget: verifiedDrop <= maxDrop,
});

const afccFirst = attempt('afcc', 1, 0.9, 0.8, { conv2d_7: 0.9, dense_5: 0.9 });
const afccChosen = attempt('afcc', 0.9, 0.84, 0.4, { conv2d_7: 0.81, dense_5: 0.7 });
const magnitudeBest = attempt('magnitude', 1, 0.81, 0.3, { conv2d_7: 0.8, dense_5: 0.75 });

export const sampleBudget: BudgetSection = {
  maxDrop: 0.5,
  objective: 'params',
  requestedMethod: 'auto',
  split: { calibration: 1000, heldOut: 1000, seed: 1, kind: 'stratified' },
  allocator: 'greedy marginal gain over the sensitivity curves.',
  sensitivity: {
    objective: 'params',
    ladder: LADDER,
    curves: [
      curve('conv2d_7', 'afcc', [0, 0.1, 0.6, 3], 4065),
      curve('dense_5', 'afcc', [0, 0, 0.2, 1.2], 510),
      curve('conv2d_7', 'magnitude', [0, 0.2, 0.9, 4], 4065),
      curve('dense_5', 'magnitude', [0, 0, 0.1, 0.9], 510),
    ],
    bnRecalibrated: true,
    cache: { key: 'abc', hit: false },
  },
  attempts: [afccFirst, afccChosen, magnitudeBest],
  chosen: afccChosen,
  heldOutBefore: acc(0.905),
  heldOutAfter: acc(0.901),
  methods: [{ method: 'afcc', best: afccChosen }, { method: 'magnitude', best: magnitudeBest }],
};

export const sampleBudgetPrune: PruneReport = { ...samplePrune, budget: sampleBudget };

export const sampleSweep: SweepReport = {
  ...samplePrune,
  kind: 'sweep',
  notes: [],
  seed: 1,
  objective: 'params',
  baseline: acc(0.9, 2000),
  maxDrop: 0.5,
  curves: [
    { method: 'afcc', points: [0.3, 0.5, 0.7, 0.9].map((s, i) => ({ sparsity: s, targetedSparsity: s, totalSparsity: s * 0.8, removed: s * 0.8, top1: 0.9 - [0.001, 0.003, 0.006, 0.03][i], top1BnRecalibrated: 0.9 - [0, 0.002, 0.004, 0.02][i] })) },
    { method: 'magnitude', points: [0.3, 0.5, 0.7, 0.9].map((s, i) => ({ sparsity: s, targetedSparsity: s, totalSparsity: s * 0.8, removed: s * 0.8, top1: 0.9 - [0, 0.001, 0.003, 0.004][i] })) },
    { method: 'random-afcc', points: [0.3, 0.5].map((s, i) => ({ sparsity: s, targetedSparsity: s, totalSparsity: s * 0.8, removed: s * 0.8, top1: 0.9 - [0.02, 0.05][i] })) },
  ],
};
