// `compare`: AFCC as the reference, every requested method at AFCC's exact per-layer sparsity,
// the same evaluation (after masking, with BatchNorm re-estimated, and fine-tuned when asked).
// The model is restored between methods; nothing is written.
import * as tf from '@tensorflow/tfjs';
import type { CompareParams } from '../../protocol/engine';
import type { CompareReport, CompareRow } from '../../protocol/report';
import { initBackend } from '../backend';
import type { Dataset } from '../data/types';
import { evaluate } from '../eval/evaluate';
import { applyMasks } from '../prune/apply';
import { afccPlan } from '../prune/methods';
import { kernelSparsity, planAtReference, resolveTargets, type MaskMethod } from '../prune/pipeline';
import { sfpSection } from '../sfp/analyze';
import { modelGraph, unitsNeeded } from '../sfp/graph';
import { modelTotals } from '../stats';
import { finetune } from '../train/finetune';
import { openTrainingData, runSfp, sfpOptions } from './analyze';
import { disposeModel, loadDatasetForModel, loadModelForJob, reportBase, Stopwatch } from './common';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';
import { finetuneSettings, recalibrated } from './prune';
import { firstSamples } from './pruneExport';

export async function compareJob(params: CompareParams, ctx: JobContext): Promise<CompareReport> {
  const methods = [...new Set(params.methods)];
  if (methods.length === 0) throw new EngineFailure('mismatch', 'compare needs at least one method');
  if (methods.includes('sfp-filters')) throw new EngineFailure('unsupported', 'sfp-filters is structured and has no mask to compare at equal sparsity');
  const seed = params.seed ?? 1;
  const watch = new Stopwatch();
  const backend = await initBackend();
  const loaded = await loadModelForJob(params.model, ctx);
  const opened: Dataset[] = [];
  let original: tf.Tensor[] = [];
  try {
    watch.lap('load');
    const notes: string[] = [];
    const data = await loadDatasetForModel(params.data, loaded, { limit: params.limit });
    opened.push(data);
    const train = await openTrainingData(params.finetune?.trainData ?? params.trainData, params.data, loaded, notes);
    if (train) opened.push(train);
    watch.lap('read-data');
    const base = await reportBase('compare', loaded, backend);
    const model = loaded.model;
    const graph = modelGraph(model);
    const targets = resolveTargets(graph, params.layers, 'afcc');
    const baseline = (await evaluate(model, data, ctx, { stage: 'evaluate-before' })).accuracy;
    watch.lap('evaluate-before');
    const options = sfpOptions(params, { blocks: unitsNeeded(graph, targets), poolTo: null, trainData: train ?? undefined });
    const analysis = await runSfp(loaded, data, options, ctx);
    notes.push(...analysis.notes);
    watch.lap('sfp');
    const reference = afccPlan(analysis, targets, options.threshold, params.targetSparsity);
    const threshold = reference.threshold ?? options.threshold;
    notes.push(...reference.notes);
    // Every method starts from the same trained weights: keep a copy and restore it after each.
    original = model.getWeights().map((w) => w.clone());
    const rows: CompareRow[] = [];
    for (const [i, method] of (methods as MaskMethod[]).entries()) {
      throwIfCancelled(ctx);
      ctx.progress({ stage: 'compare', message: method, step: i, steps: methods.length, fraction: i / methods.length });
      const plan = planAtReference(method, { graph, targets, seed, threshold, analysis }, reference.masks, threshold);
      notes.push(...plan.notes);
      applyMasks(model, plan.masks);
      const accuracy = (await evaluate(model, data, ctx, { stage: `evaluate-${method}` })).accuracy;
      const bn = params.recalibrateBn !== false ? await recalibrated(model, graph, train, data, ctx, notes) : undefined;
      let finetuned;
      if (params.finetune && params.finetune.epochs > 0 && train) {
        await finetune(model, plan.masks, firstSamples(train, params.finetune.trainLimit), finetuneSettings(params.finetune, seed), ctx);
        finetuned = (await evaluate(model, data, ctx, { stage: `evaluate-${method}-finetuned` })).accuracy;
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
      model.setWeights(original);
      watch.lap(`method-${method}`);
    }
    if (params.finetune && params.finetune.epochs > 0 && !train) notes.push('No fine-tuning: no training data (pass --train-data).');
    return {
      ...base,
      reference: 'afcc',
      seed,
      dataset: data.info,
      baseline,
      rows,
      sfp: sfpSection(analysis, threshold),
      timings: watch.timings(),
      notes: [...new Set(notes)],
    };
  } finally {
    original.forEach((t) => t.dispose());
    opened.forEach((d) => d.close?.());
    disposeModel(loaded);
  }
}
