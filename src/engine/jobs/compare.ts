// `compare`: AFCC as the reference, every requested method at AFCC's exact per-layer sparsity,
// the same evaluation (after masking, with BatchNorm re-estimated, and fine-tuned when asked).
// The pipeline's steps per method on a restored copy of the weights; nothing is written.
import type { CompareParams } from '../../protocol/engine';
import type { CompareReport, CompareRow } from '../../protocol/report';
import { applyMasks } from '../prune/apply';
import { afccPlan } from '../prune/methods';
import { kernelSparsity, planAtReference, resolveTargets, type MaskMethod } from '../prune/pipeline';
import { sfpSection } from '../sfp/analyze';
import { unitsNeeded } from '../sfp/graph';
import { modelTotals } from '../stats';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';
import { scoped, type PlannedStep } from '../pipeline/progress';
import { sfpOptions } from '../pipeline/sfp';
import { analyseStep, evaluateStep, finetuneStep, recalibrated, WeightSnapshot } from '../pipeline/steps';
import { openJob } from './open';

function comparePlan(params: CompareParams, methods: number): PlannedStep[] {
  const epochs = params.finetune?.epochs ?? 0;
  return [
    { step: 'load', weight: 1 },
    { step: 'evaluate', weight: 2 },
    { step: 'analyse', weight: 6 },
    // Every method's apply, evaluations, BatchNorm and fine-tuning run inside this step.
    { step: 'apply', weight: methods * (4 + 8 * epochs) },
  ];
}

export async function compareJob(params: CompareParams, outer: JobContext): Promise<CompareReport> {
  const methods = [...new Set(params.methods)];
  if (methods.length === 0) throw new EngineFailure('mismatch', 'compare needs at least one method');
  if (methods.includes('sfp-filters')) throw new EngineFailure('unsupported', 'sfp-filters is structured and has no mask to compare at equal sparsity');
  const seed = params.seed ?? 1;
  const state = await openJob('compare', params, outer, comparePlan(params, methods.length));
  const { job, watch, notes, model, graph, train } = state;
  let original: WeightSnapshot | null = null;
  try {
    const targets = resolveTargets(graph, params.layers, 'afcc');
    job.enter('evaluate');
    const baseline = await evaluateStep(state, 'evaluate-before');
    watch.lap('evaluate-before');
    job.enter('analyse');
    const options = sfpOptions(params, { blocks: unitsNeeded(graph, targets), poolTo: null, trainData: train ?? undefined });
    const analysis = await analyseStep(state, options);
    watch.lap('sfp');
    const reference = afccPlan(analysis, targets, options.threshold, params.targetSparsity);
    const threshold = reference.threshold ?? options.threshold;
    notes.push(...reference.notes);
    // Every method starts from the same trained weights: keep a copy and restore it after each.
    original = new WeightSnapshot(model);
    job.enter('apply');
    const rows: CompareRow[] = [];
    for (const [i, method] of (methods as MaskMethod[]).entries()) {
      throwIfCancelled(state.ctx);
      const ctx = scoped(state.ctx, i / methods.length, (i + 1) / methods.length);
      ctx.progress({ stage: 'compare', message: method, step: i, steps: methods.length, fraction: 0 });
      const plan = planAtReference(method, { graph, targets, seed, threshold, analysis }, reference.masks, threshold);
      notes.push(...plan.notes);
      applyMasks(model, plan.masks);
      const accuracy = await evaluateStep(state, `evaluate-${method}`, state.data, scoped(ctx, 0, 0.3));
      const bn = params.recalibrateBn !== false ? await recalibrated(model, graph, train, state.data, scoped(ctx, 0.3, 0.6), notes, undefined, { evaluator: state.evaluator }) : undefined;
      let finetuned;
      if (params.finetune && params.finetune.epochs > 0 && train) {
        await finetuneStep(state, plan.masks, params.finetune, seed, scoped(ctx, 0.6, 0.9), true);
        finetuned = await evaluateStep(state, `evaluate-${method}-finetuned`, state.data, scoped(ctx, 0.9, 1));
      }
      const sparsity = kernelSparsity(model, plan.masks);
      const totals = await modelTotals(model, []);
      rows.push({
        method,
        layerSparsity: sparsity.perLayer,
        targetedSparsity: sparsity.overall,
        totalSparsity: totals.sparsity,
        accuracy,
        ...(bn ? { accuracyBnRecalibrated: bn } : {}),
        ...(finetuned ? { accuracyFinetuned: finetuned } : {}),
      });
      original.restore();
      watch.lap(`method-${method}`);
    }
    if (params.finetune && params.finetune.epochs > 0 && !train) notes.push('No fine-tuning: no training data (pass --train-data).');
    return {
      ...state.base,
      reference: 'afcc',
      seed,
      dataset: state.data.info,
      baseline,
      rows,
      sfp: sfpSection(analysis, threshold),
      timings: watch.timings(),
      notes: [...new Set(notes)],
    };
  } finally {
    original?.dispose();
    state.close();
  }
}
