// `sweep`: accuracy against sparsity per method — each method at each requested sparsity of the
// targeted layers (AFCC through its threshold search, the baselines per layer), evaluated after
// masking, with BatchNorm re-estimated, and fine-tuned when asked; the weights are restored
// between points. Nothing is written.
import type { SweepParams } from '../../protocol/engine';
import type { PruneMethod, SweepCurve, SweepPoint, SweepReport } from '../../protocol/report';
import { applyMasks } from '../prune/apply';
import { kernelSparsity, needsSfp, planMasks, resolveTargets } from '../prune/pipeline';
import { unitsNeeded } from '../sfp/graph';
import { modelTotals } from '../stats';
import { objectiveWeights } from '../budget';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';
import { scoped, type PlannedStep } from '../pipeline/progress';
import { failReadably, sfpOptions } from '../pipeline/sfp';
import { analyseStep, evaluateStep, finetuneStep, recalibrateStep, WeightSnapshot } from '../pipeline/steps';
import { openJob } from './open';

export const SWEEP_METHODS: PruneMethod[] = ['afcc', 'magnitude', 'random-afcc'];
export const SWEEP_SPARSITIES = [0.3, 0.5, 0.7, 0.8, 0.9];

function sweepPlan(params: SweepParams, points: number, sfp: boolean): PlannedStep[] {
  const epochs = params.finetune?.epochs ?? 0;
  return [
    { step: 'load', weight: 1 },
    { step: 'evaluate', weight: 2 },
    ...(sfp ? [{ step: 'analyse' as const, weight: 6 }] : []),
    // Every point's apply, BatchNorm, fine-tuning and evaluations run inside this step.
    { step: 'apply', weight: points * (4 + 8 * epochs) },
  ];
}

export async function sweepJob(params: SweepParams, outer: JobContext): Promise<SweepReport> {
  const methods = [...new Set(params.methods.length > 0 ? params.methods : SWEEP_METHODS)];
  if (methods.includes('sfp-filters')) throw new EngineFailure('unsupported', 'sfp-filters is structured and has no per-layer sparsity to sweep');
  const sparsities = [...new Set(params.sparsities ?? SWEEP_SPARSITIES)].sort((a, b) => a - b);
  const bad = sparsities.find((s) => !(s > 0 && s <= 1));
  if (bad !== undefined) throw new EngineFailure('mismatch', `every sweep sparsity must be in (0, 1] (got ${bad})`);
  const seed = params.seed ?? 1;
  const objective = params.objective ?? 'params';
  const sfp = methods.some(needsSfp);
  const state = await openJob('sweep', params, outer, sweepPlan(params, methods.length * sparsities.length, sfp));
  const { job, watch, notes, model, graph, train } = state;
  let original: WeightSnapshot | null = null;
  try {
    const targets = failReadably(state.loaded, () => resolveTargets(graph, params.layers, sfp ? 'afcc' : 'magnitude'));
    const epochs = params.finetune?.epochs ?? 0;
    if (epochs > 0 && !train) throw new EngineFailure('bad-data', 'fine-tuning needs training data: pass --train-data (none was found beside the evaluation data)', params.data);
    const recalibrate = params.recalibrateBn !== false;
    job.enter('evaluate');
    const baseline = await evaluateStep(state, 'evaluate-before');
    watch.lap('evaluate-before');
    const options = sfpOptions(params, { blocks: sfp ? unitsNeeded(graph, targets) : [], poolTo: null, trainData: train ?? undefined });
    let analysis;
    if (sfp) {
      job.enter('analyse');
      analysis = await analyseStep(state, options);
      watch.lap('sfp');
    }
    if (recalibrate && !train) notes.push('BatchNorm statistics were not re-estimated: no training data (pass --train-data).');
    const { weights, total } = objectiveWeights(model, state, targets, objective);
    original = new WeightSnapshot(model);
    job.enter('apply');
    const curves: SweepCurve[] = [];
    const count = methods.length * sparsities.length;
    let done = 0;
    for (const method of methods) {
      const points: SweepPoint[] = [];
      for (const sparsity of sparsities) {
        throwIfCancelled(state.ctx);
        const ctx = scoped(state.ctx, done / count, (done + 1) / count);
        done++;
        ctx.progress({ stage: 'sweep', message: `${method} at ${(sparsity * 100).toFixed(0)}%`, fraction: 0 });
        let plan;
        try {
          plan = planMasks({ method, graph, targets, seed, threshold: options.threshold, sparsity, targetSparsity: sparsity, analysis });
        } catch (error) {
          if (error instanceof EngineFailure && /no cluster threshold reaches/.test(error.message)) {
            notes.push(`${method} does not reach ${(sparsity * 100).toFixed(0)}% on ${targets.join(', ')}: ${error.message}.`);
            continue;
          }
          throw error;
        }
        applyMasks(model, plan.masks);
        const top1 = (await evaluateStep(state, `evaluate-${method}`, state.data, scoped(ctx, 0, 0.25))).top1;
        const bn = recalibrate && (await recalibrateStep(state, train, scoped(ctx, 0.25, 0.4)))
          ? (await evaluateStep(state, `evaluate-${method}-bn`, state.data, scoped(ctx, 0.4, 0.6))).top1
          : undefined;
        let finetuned: number | undefined;
        if (epochs > 0) {
          await finetuneStep(state, plan.masks, params.finetune!, seed, scoped(ctx, 0.6, 0.9), true);
          finetuned = (await evaluateStep(state, `evaluate-${method}-finetuned`, state.data, scoped(ctx, 0.9, 1))).top1;
        }
        const reached = kernelSparsity(model, plan.masks);
        const totals = await modelTotals(model, []);
        const removed = Object.entries(reached.perLayer).reduce((a, [layer, s]) => a + s * (weights.get(layer) ?? 0), 0) / total;
        points.push({
          sparsity,
          targetedSparsity: reached.overall,
          totalSparsity: totals.sparsity,
          removed,
          top1,
          ...(bn !== undefined ? { top1BnRecalibrated: bn } : {}),
          ...(finetuned !== undefined ? { top1Finetuned: finetuned } : {}),
        });
        original.restore();
      }
      curves.push({ method, points });
      watch.lap(`sweep-${method}`);
    }
    if (epochs > 0 && params.finetune?.trainLimit !== undefined && train && params.finetune.trainLimit < train.size) {
      notes.push(`Every point was fine-tuned on the first ${params.finetune.trainLimit} of ${train.size} training samples (trainLimit).`);
    }
    return {
      ...state.base,
      dataset: state.data.info,
      seed,
      objective,
      baseline,
      curves,
      ...(params.maxDrop !== undefined ? { maxDrop: params.maxDrop } : {}),
      timings: watch.timings(),
      notes: [...new Set(notes)],
    };
  } finally {
    original?.dispose();
    state.close();
  }
}
