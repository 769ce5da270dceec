// `prune`: evaluate → SFP (AFCC and random-AFCC) → masks → exact zeros → evaluate → BatchNorm
// re-estimation and masked fine-tuning → evaluate → write beside the input, reload and verify.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { PruneParams } from '../../protocol/engine';
import type { AccuracyResult, BackendName, FinetuneInfo, LatencyInfo, OutputInfo, PruneReport, StructuredInfo } from '../../protocol/report';
import { initBackend } from '../backend';
import type { Dataset } from '../data/types';
import { evaluate } from '../eval/evaluate';
import { defaultPrunedPath, type LoadedModel } from '../formats';
import { applyMasks, modelCounts } from '../prune/apply';
import { measureLatency } from '../prune/latency';
import type { MaskPlan } from '../prune/methods';
import { kernelSparsity, needsSfp, planMasks, prunedLayers, resolveTargets } from '../prune/pipeline';
import { emptyLabelFilters, structuredInfo } from '../prune/removal';
import { removeDeadFilters } from '../prune/structured';
import { reinitialiseOutput } from '../prune/randomAfcc';
import { sfpSection, type SfpAnalysis } from '../sfp/analyze';
import { modelGraph, unitsNeeded, type ModelGraph } from '../sfp/graph';
import { modelTotals } from '../stats';
import { finetune, type FinetuneOptions as TrainFinetuneOptions } from '../train/finetune';
import { recalibrateBatchNorm } from '../train/recalibrate';
import { openTrainingData, runSfp, sfpOptions, writeMatricesFile } from './analyze';
import { disposeModel, loadDatasetForModel, loadModelForJob, reportBase, Stopwatch } from './common';
import { EngineFailure } from '../core/errors';
import { JobProgress, type PlannedStep } from '../pipeline/progress';
import { throwIfCancelled, type JobContext } from '../core/context';
import { assertInputUnchanged, exportVerified, firstSamples, outputFormat } from './pruneExport';

/** Output paths of the prune jobs running in this process: a second job writing one is refused. */
const outputsInUse = new Set<string>();

/** Marks `out` as written by this job, or refuses it when another job of this process writes it. */
function claimOutput(out: string): string {
  if (outputsInUse.has(out)) {
    throw new EngineFailure('io', 'another job is writing this output; wait for it to finish or choose another --out', out);
  }
  outputsInUse.add(out);
  return out;
}

/** The steps of a prune job with their rough costs, for one job-level progress fraction. */
function prunePlan(params: PruneParams): PlannedStep[] {
  const epochs = params.finetune?.epochs ?? 0;
  return [
    { step: 'load', weight: 1 },
    { step: 'evaluate', weight: 2 },
    ...(needsSfp(params.method) ? [{ step: 'analyse' as const, weight: 6 }] : []),
    { step: 'apply', weight: 0.5 },
    { step: 'evaluate', weight: 2 },
    ...(params.recalibrateBn !== false ? [{ step: 'recalibrate' as const, weight: 2 }, { step: 'evaluate' as const, weight: 2 }] : []),
    ...(epochs > 0 ? [{ step: 'fine-tune' as const, weight: 8 * epochs }, { step: 'evaluate' as const, weight: 2 }] : []),
    ...(params.dryRun ? [] : [{ step: 'restructure' as const, weight: params.structured ? 2 : 0.5 }, { step: 'export' as const, weight: 3 }]),
  ];
}

export async function pruneJob(params: PruneParams, outer: JobContext): Promise<PruneReport> {
  const method = params.method;
  const seed = params.seed ?? 1;
  const watch = new Stopwatch();
  const job = new JobProgress(outer, prunePlan(params));
  const ctx = job.ctx;
  // An explicit output is claimed before the first await: of two jobs sent together for one
  // output, the first one sent wins (claimed after loading, the winner depended on I/O timing).
  const given = params.dryRun || params.out === undefined ? null : claimOutput(path.resolve(params.out));
  let backend: BackendName;
  let loaded: LoadedModel;
  try {
    job.enter('load');
    backend = await initBackend();
    loaded = await loadModelForJob(params.model, ctx);
  } catch (error) {
    if (given) outputsInUse.delete(given);
    throw error;
  }
  const opened: Dataset[] = [];
  const writtenFiles: string[] = [];
  let finished = false;
  let out = given;
  if (!out && !params.dryRun) {
    try {
      out = claimOutput(path.resolve(defaultPrunedPath(loaded.path, params.format)));
    } catch (error) {
      disposeModel(loaded);
      throw error;
    }
  }
  // The folder a TF.js output gets (`<stem>.pruned/`) goes too when the job does not finish.
  const outFolderExisted = out ? await fs.stat(path.dirname(out)).then(() => true, () => false) : true;
  try {
    // A --format contradicting the --out name is refused before any work.
    if (out) outputFormat(out, params.format, loaded.format);
    watch.lap('load');
    const notes: string[] = [];
    const data = await loadDatasetForModel(params.data, loaded, { limit: params.limit });
    opened.push(data);
    if (data.info.note) notes.push(data.info.note);
    const train = await openTrainingData(params.finetune?.trainData ?? params.trainData, params.data, loaded, notes);
    if (train) opened.push(train);
    watch.lap('read-data');
    const base = await reportBase('prune', loaded, backend);
    const model = loaded.model;
    const graph = failReadably(loaded, () => modelGraph(model));
    notes.push(...graph.notes);
    const targets = failReadably(loaded, () => resolveTargets(graph, params.layers, method));

    job.enter('evaluate');
    const before = (await evaluate(model, data, ctx, { stage: 'evaluate-before' })).accuracy;
    watch.lap('evaluate-before');
    const options = sfpOptions(params, { blocks: needsSfp(method) ? unitsNeeded(graph, targets) : [], poolTo: null, trainData: train ?? undefined });
    if (needsSfp(method)) job.enter('analyse');
    const analysis = needsSfp(method) ? await runSfp(loaded, data, options, ctx) : undefined;
    if (analysis) notes.push(...analysis.notes);
    watch.lap('sfp');
    const plan = failReadably(loaded, () =>
      planMasks({ method, graph, targets, seed, threshold: options.threshold, targetSparsity: params.targetSparsity, sparsity: params.sparsity, analysis }));
    notes.push(...plan.notes);
    throwIfCancelled(ctx);
    job.enter('apply');
    const countsBefore = modelCounts(model);
    const totalsBefore = await modelTotals(model, loaded.files);
    applyMasks(model, plan.masks);
    if (method === 'random-afcc' && params.reinitOutput) {
      const outputMask = plan.masks.find((m) => m.layer === graph.output.name);
      if (outputMask) reinitialiseOutput(graph.output.layer, outputMask, seed);
      notes.push('random-afcc: the output layer\'s kept weights were re-drawn (METHOD.md §9.1 step 4).');
    }
    watch.lap('mask');
    ctx.progress({ stage: 'masked', message: `Masked ${plan.masks.map((m) => m.layer).join(', ')}` });
    job.enter('evaluate');
    const afterMask = (await evaluate(model, data, ctx, { stage: 'evaluate-masked' })).accuracy;
    watch.lap('evaluate-masked');
    let afterBn: AccuracyResult | undefined;
    if (params.recalibrateBn !== false) afterBn = await recalibrated(model, graph, train, data, ctx, notes, job);
    if (afterBn) watch.lap('recalibrate-bn');
    let finetuneInfo: FinetuneInfo | undefined;
    let after = afterBn ?? afterMask;
    if (params.finetune && params.finetune.epochs > 0) {
      if (!train) throw new EngineFailure('bad-data', 'fine-tuning needs training data: pass --train-data (none was found beside the evaluation data)', params.data);
      const trainPart = firstSamples(train, params.finetune.trainLimit);
      if (trainPart !== train) notes.push(`Fine-tuned on the first ${trainPart.size} of ${train.size} training samples (trainLimit).`);
      job.enter('fine-tune');
      finetuneInfo = await finetune(model, plan.masks, trainPart, finetuneSettings(params.finetune, seed), ctx);
      watch.lap('finetune');
      job.enter('evaluate');
      after = (await evaluate(model, data, ctx, { stage: 'evaluate-after' })).accuracy;
      watch.lap('evaluate-after');
    }
    const countsAfter = modelCounts(model);
    const sparsity = kernelSparsity(model, plan.masks);
    let output: OutputInfo | null = null;
    let totalsAfter = await modelTotals(model, []);
    let structuredSection: StructuredInfo | undefined;
    let latency: LatencyInfo[] | undefined;
    if (!params.dryRun) {
      job.enter('restructure');
      // Structured removal gives a smaller model computing the same function; it is what gets written.
      const structured = params.structured ? await removeDeadFilters(model, { remove: filtersToRemove(plan, analysis, graph, targets) }) : null;
      if (structured) notes.push(`Removed filters: ${structured.layers.map((l) => `${l.layer} ${l.before}→${l.after}`).join(', ') || 'none were dead'}.`);
      if (structured?.kept.length) {
        const shown = structured.kept.slice(0, 5).map((k) => `${k.layer} channel ${k.channel}: ${k.reason}`);
        const more = structured.kept.length > shown.length ? ` (and ${structured.kept.length - shown.length} more)` : '';
        notes.push(`Kept ${structured.kept.length} channel(s) that could not be removed exactly: ${shown.join('; ')}${more}.`);
      }
      const exported = structured?.model ?? model;
      try {
        if (params.structured || params.measureLatency) {
          ctx.progress({ stage: 'latency', message: 'Timing inference (batch 1 and 64)' });
          // The masked model has the input's shapes, so on a dense backend it costs what the input costs.
          latency = await measureLatency(model, exported);
          watch.lap('latency');
        }
        throwIfCancelled(ctx);
        job.enter('export');
        await assertInputUnchanged(loaded, base.model.sha256);
        const result = await exportVerified(loaded, exported, model, data, params, writtenFiles, ctx);
        output = { ...result.output, structured: structured !== null };
        totalsAfter = await modelTotals(exported, result.files);
        if (structured) structuredSection = structuredInfo(model, exported, { before: totalsBefore.bytes, after: result.output.bytes });
      } finally {
        if (exported !== model) exported.dispose();
      }
      watch.lap('export');
    } else if (params.measureLatency) {
      notes.push('Latency was not measured: a dry run writes no model to compare with.');
    }
    let sfp = analysis ? sfpSection(analysis, plan.threshold ?? options.threshold) : undefined;
    if (analysis && sfp && params.matricesPath) {
      sfp = { ...sfp, matricesPath: await writeMatricesFile(analysis, path.resolve(params.matricesPath), loaded.files) };
      writtenFiles.push(sfp.matricesPath!);
    }
    finished = true;
    return {
      ...base,
      method: params.method,
      seed,
      options: { layers: targets, threshold: plan.threshold, targetSparsity: params.targetSparsity, sparsity: params.sparsity, recalibrateBn: params.recalibrateBn !== false, readoutEpochs: options.readout.epochs, reinitOutput: params.reinitOutput ?? false },
      dataset: data.info,
      layers: prunedLayers(model, graph, countsBefore, countsAfter, plan.masks, plan.threshold),
      totals: { before: totalsBefore, after: totalsAfter },
      targetedSparsity: sparsity.overall,
      accuracy: { before, afterMask, ...(afterBn ? { afterBnRecalibration: afterBn } : {}), after },
      ...(sfp ? { sfp } : {}),
      ...(finetuneInfo ? { finetune: finetuneInfo } : {}),
      ...(latency ? { latency } : {}),
      ...(structuredSection ? { structured: structuredSection } : {}),
      output,
      timings: [...watch.timings(), ...(analysis?.timings.map((t) => ({ stage: `sfp-${t.stage}`, seconds: Math.round(t.seconds * 1000) / 1000 })) ?? [])],
      notes,
    };
  } finally {
    if (!finished) await Promise.all(writtenFiles.map((f) => fs.rm(f, { force: true })));
    // rmdir, not rm -r: only when nothing but this job's files was ever in it.
    if (!finished && out && !outFolderExisted) await fs.rmdir(path.dirname(out)).catch(() => undefined);
    if (out) outputsInUse.delete(out);
    opened.forEach((d) => d.close?.());
    disposeModel(loaded);
  }
}

/** BatchNorm re-estimation on training data; without training data it is skipped (no test leakage). */
export async function recalibrated(model: tf.LayersModel, graph: ModelGraph, train: Dataset | null, data: Dataset, ctx: JobContext, notes: string[], job?: JobProgress): Promise<AccuracyResult | undefined> {
  // Nested models' layers count: the graph flattens them.
  if (!graph.graph.nodes.some((n) => n.className === 'BatchNormalization')) return undefined;
  if (!train) {
    notes.push('BatchNorm statistics were not re-estimated: no training data (pass --train-data); accuracy after masking may be far below what the pruned weights can do (METHOD.md §14).');
    return undefined;
  }
  job?.enter('recalibrate');
  await recalibrateBatchNorm(model, train, ctx);
  job?.enter('evaluate');
  return (await evaluate(model, data, ctx, { stage: 'evaluate-recalibrated' })).accuracy;
}

/** Protocol fine-tune options → the train module's (augmentation = METHOD.md §2.1 flip and ±4 px shift). */
export function finetuneSettings(options: NonNullable<PruneParams['finetune']>, seed: number): TrainFinetuneOptions {
  const { augment, trainData: _trainData, trainLimit: _trainLimit, ...rest } = options;
  return { ...rest, seed, ...(augment ? { augment: { flip: true, shift: 4 } } : {}) };
}

function failReadably<T>(loaded: LoadedModel, run: () => T): T {
  try {
    return run();
  } catch (error) {
    // Readable errors are thrown where they arise; the job names the model they concern.
    if (error instanceof EngineFailure && !error.file) throw new EngineFailure(error.code, error.message, loaded.path);
    throw error;
  }
}

/**
 * Filters --structured removes besides the dead ones: AFCC's empty label sets in the blocks that
 * feed a targeted kernel, and the filters sfp-filters ranked out.
 */
function filtersToRemove(plan: MaskPlan, analysis: SfpAnalysis | undefined, graph: ModelGraph, targets: string[]): Record<string, number[]> | undefined {
  if (plan.removeFilters) return plan.removeFilters;
  if (plan.method === 'afcc' && analysis) return emptyLabelFilters(analysis, graph, targets, plan.threshold ?? 0.3);
  return undefined;
}
