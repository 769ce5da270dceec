// `prune`: the pipeline's steps in a row — load → evaluate → analyse (SFP, for AFCC and
// random-AFCC) → plan → apply (exact zeros) → evaluate → recalibrate BatchNorm → fine-tune (masks
// held) → restructure (--structured) → export → verify (reload and compare). With --max-drop the
// plan is the accuracy-budget search instead (../budget).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PruneParams } from '../../protocol/engine';
import type { AccuracyResult, FinetuneInfo, LatencyInfo, OutputInfo, PruneMethod, PruneReport, StructuredInfo } from '../../protocol/report';
import { defaultPrunedPath } from '../formats';
import { modelCounts } from '../prune/apply';
import { measureLatency } from '../prune/latency';
import { kernelSparsity, needsSfp, prunedLayers, resolveTargets } from '../prune/pipeline';
import { structuredInfo } from '../prune/removal';
import { sfpSection, type SfpAnalysis } from '../sfp/analyze';
import { unitsNeeded } from '../sfp/graph';
import { modelTotals } from '../stats';
import { budgetPrune, checkBudgetParams } from '../budget';
import type { MaskPlan } from '../prune/methods';
import { EngineFailure } from '../core/errors';
import type { PlannedStep } from '../pipeline/progress';
import { assertInputUnchanged, exportVerified, outputFormat } from '../pipeline/export';
import { failReadably, sfpOptions } from '../pipeline/sfp';
import { analyseStep, applyStep, evaluateStep, finetuneStep, planStep, recalibrated, restructureStep } from '../pipeline/steps';
import { throwIfCancelled, type JobContext } from '../core/context';
import { writeMatricesFile } from './analyze';
import { openJob, type OpenedJob } from './open';

// The benches import these steps from here.
export { finetuneSettings, recalibrated } from '../pipeline/steps';

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
  const written: PlannedStep[] = params.dryRun ? [] : [{ step: 'restructure', weight: params.structured ? 2 : 0.5 }, { step: 'export', weight: 3 }];
  if (params.maxDrop !== undefined) {
    // The search's own steps (scan, attempts) run inside 'plan' and 'verify'.
    return [{ step: 'load', weight: 1 }, { step: 'evaluate', weight: 1 }, { step: 'analyse', weight: 4 }, { step: 'plan', weight: 30 }, { step: 'verify', weight: 60 }, ...written];
  }
  const method = params.method as PruneMethod;
  const epochs = params.finetune?.epochs ?? 0;
  return [
    { step: 'load', weight: 1 },
    { step: 'evaluate', weight: 2 },
    ...(needsSfp(method) ? [{ step: 'analyse' as const, weight: 6 }] : []),
    { step: 'apply', weight: 0.5 },
    { step: 'evaluate', weight: 2 },
    ...(params.recalibrateBn !== false ? [{ step: 'recalibrate' as const, weight: 2 }, { step: 'evaluate' as const, weight: 2 }] : []),
    ...(epochs > 0 ? [{ step: 'fine-tune' as const, weight: 8 * epochs }, { step: 'evaluate' as const, weight: 2 }] : []),
    ...written,
  ];
}

export async function pruneJob(params: PruneParams, outer: JobContext): Promise<PruneReport> {
  if (params.maxDrop !== undefined) checkBudgetParams(params);
  else if (params.method === 'auto') throw new EngineFailure('mismatch', 'method auto chooses among methods under an accuracy budget: give --max-drop <pp>');
  // An explicit output is claimed before the first await: of two jobs sent together for one
  // output, the first one sent wins (claimed after loading, the winner depended on I/O timing).
  const given = params.dryRun || params.out === undefined ? null : claimOutput(path.resolve(params.out));
  let out = given;
  let state: OpenedJob<'prune'>;
  try {
    state = await openJob('prune', params, outer, prunePlan(params), (loaded) => {
      if (!out && !params.dryRun) out = claimOutput(path.resolve(defaultPrunedPath(loaded.path, params.format)));
      // A --format contradicting the --out name is refused before any work.
      if (out) outputFormat(out, params.format, loaded.format);
    });
  } catch (error) {
    if (out) outputsInUse.delete(out);
    throw error;
  }
  const writtenFiles: string[] = [];
  let finished = false;
  // The folder a TF.js output gets (`<stem>.pruned/`) goes too when the job does not finish.
  const outFolderExisted = out ? await fs.stat(path.dirname(out)).then(() => true, () => false) : true;
  try {
    const report = params.maxDrop !== undefined ? await budgetJob(state, params, out, writtenFiles) : await plainJob(state, params, out, writtenFiles);
    finished = true;
    return report;
  } finally {
    if (!finished) await Promise.all(writtenFiles.map((f) => fs.rm(f, { force: true })));
    // rmdir, not rm -r: only when nothing but this job's files was ever in it.
    if (!finished && out && !outFolderExisted) await fs.rmdir(path.dirname(out)).catch(() => undefined);
    if (out) outputsInUse.delete(out);
    state.close();
  }
}

/** One method at a given threshold, target sparsity or sparsity. */
async function plainJob(state: OpenedJob<'prune'>, params: PruneParams, out: string | null, writtenFiles: string[]): Promise<PruneReport> {
  const { job, ctx, watch, notes, model, graph, data, train, loaded } = state;
  const method = params.method as PruneMethod;
  const seed = params.seed ?? 1;
  const targets = failReadably(loaded, () => resolveTargets(graph, params.layers, method));

  job.enter('evaluate');
  const before = await evaluateStep(state, 'evaluate-before');
  watch.lap('evaluate-before');
  const options = sfpOptions(params, { blocks: needsSfp(method) ? unitsNeeded(graph, targets) : [], poolTo: null, trainData: train ?? undefined });
  if (needsSfp(method)) job.enter('analyse');
  const analysis = needsSfp(method) ? await analyseStep(state, options) : undefined;
  watch.lap('sfp');
  const plan = planStep(state, { method, targets, seed, threshold: options.threshold, targetSparsity: params.targetSparsity, sparsity: params.sparsity, analysis });
  throwIfCancelled(ctx);
  job.enter('apply');
  const countsBefore = modelCounts(model);
  const totalsBefore = await modelTotals(model, loaded.files);
  applyStep(state, plan, { reinitOutput: params.reinitOutput, seed });
  watch.lap('mask');
  ctx.progress({ stage: 'masked', message: `Masked ${plan.masks.map((m) => m.layer).join(', ')}` });
  job.enter('evaluate');
  const afterMask = await evaluateStep(state, 'evaluate-masked');
  watch.lap('evaluate-masked');
  let afterBn: AccuracyResult | undefined;
  if (params.recalibrateBn !== false) afterBn = await recalibrated(model, graph, train, data, ctx, notes, job, { evaluator: state.evaluator });
  if (afterBn) watch.lap('recalibrate-bn');
  let finetuneInfo: FinetuneInfo | undefined;
  let after = afterBn ?? afterMask;
  if (params.finetune && params.finetune.epochs > 0) {
    if (!train) throw new EngineFailure('bad-data', 'fine-tuning needs training data: pass --train-data (none was found beside the evaluation data)', params.data);
    job.enter('fine-tune');
    finetuneInfo = await finetuneStep(state, plan.masks, params.finetune, seed);
    watch.lap('finetune');
    job.enter('evaluate');
    after = await evaluateStep(state, 'evaluate-after');
    watch.lap('evaluate-after');
  }
  const countsAfter = modelCounts(model);
  const sparsity = kernelSparsity(model, plan.masks);
  const written = await writeStep(state, params, out, writtenFiles, totalsBefore.bytes, params.structured ? { plan, analysis, targets } : null);
  let sfp = analysis ? sfpSection(analysis, plan.threshold ?? options.threshold) : undefined;
  if (analysis && sfp && params.matricesPath) {
    sfp = { ...sfp, matricesPath: await writeMatricesFile(analysis, path.resolve(params.matricesPath), loaded.files) };
    writtenFiles.push(sfp.matricesPath!);
  }
  return {
    ...state.base,
    method,
    seed,
    options: { layers: targets, threshold: plan.threshold, targetSparsity: params.targetSparsity, sparsity: params.sparsity, recalibrateBn: params.recalibrateBn !== false, readoutEpochs: options.readout.epochs, reinitOutput: params.reinitOutput ?? false },
    dataset: data.info,
    layers: prunedLayers(model, graph, countsBefore, countsAfter, plan.masks, plan.threshold),
    totals: { before: totalsBefore, after: written.totals },
    targetedSparsity: sparsity.overall,
    accuracy: { before, afterMask, ...(afterBn ? { afterBnRecalibration: afterBn } : {}), after },
    ...(sfp ? { sfp } : {}),
    ...(finetuneInfo ? { finetune: finetuneInfo } : {}),
    ...(written.latency ? { latency: written.latency } : {}),
    ...(written.structured ? { structured: written.structured } : {}),
    output: written.output,
    timings: [...watch.timings(), ...(analysis?.timings.map((t) => ({ stage: `sfp-${t.stage}`, seconds: Math.round(t.seconds * 1000) / 1000 })) ?? [])],
    notes,
  };
}

/** The search for the most removal within --max-drop (../budget), then the same writing steps. */
async function budgetJob(state: OpenedJob<'prune'>, params: PruneParams, out: string | null, writtenFiles: string[]): Promise<PruneReport> {
  const { watch, notes, model, graph, loaded } = state;
  const seed = params.seed ?? 1;
  const countsBefore = modelCounts(model);
  const totalsBefore = await modelTotals(model, loaded.files);
  const result = await budgetPrune(state, params, state.base.model.sha256);
  const chosen = result.section.chosen;
  const countsAfter = modelCounts(model);
  const written = chosen
    ? await writeStep(state, params, out, writtenFiles, totalsBefore.bytes, params.structured ? { plan: result.plan!, analysis: result.analysis, targets: result.targets } : null)
    : { output: null, totals: await modelTotals(model, []), latency: undefined, structured: undefined };
  if (!chosen) notes.push(`No allocation met the budget of ${params.maxDrop} pp on the held-out data: no model was written.`);
  const masks = result.plan?.masks ?? [];
  // The per-filter analysis the AFCC family ran on the calibration data, for the panel.
  let sfp = result.analysis ? sfpSection(result.analysis, result.plan?.threshold ?? result.threshold) : undefined;
  if (result.analysis && sfp && params.matricesPath && chosen) {
    sfp = { ...sfp, matricesPath: await writeMatricesFile(result.analysis, path.resolve(params.matricesPath), loaded.files) };
    writtenFiles.push(sfp.matricesPath!);
  }
  return {
    ...state.base,
    method: result.method,
    seed,
    options: {
      layers: result.targets,
      recalibrateBn: params.recalibrateBn !== false,
      reinitOutput: false,
      ...(result.plan?.threshold !== undefined ? { threshold: result.plan.threshold } : {}),
    },
    dataset: state.data.info,
    layers: prunedLayers(model, graph, countsBefore, countsAfter, masks),
    totals: { before: totalsBefore, after: written.totals },
    targetedSparsity: masks.length ? kernelSparsity(model, masks).overall : 0,
    accuracy: result.accuracy,
    ...(sfp ? { sfp } : {}),
    ...(result.finetune ? { finetune: result.finetune } : {}),
    ...(written.latency ? { latency: written.latency } : {}),
    ...(written.structured ? { structured: written.structured } : {}),
    budget: result.section,
    output: written.output,
    timings: watch.timings(),
    notes: [...new Set(notes)],
  };
}

/** restructure → export → verify; a dry run writes nothing. */
async function writeStep(
  state: OpenedJob<'prune'>,
  params: PruneParams,
  out: string | null,
  writtenFiles: string[],
  bytesBefore: number,
  structure: { plan: MaskPlan; analysis: SfpAnalysis | undefined; targets: string[] } | null,
): Promise<{ output: OutputInfo | null; totals: Awaited<ReturnType<typeof modelTotals>>; latency?: LatencyInfo[]; structured?: StructuredInfo }> {
  const { job, ctx, watch, notes, model, loaded, base, data } = state;
  if (params.dryRun || !out) {
    if (params.measureLatency) notes.push('Latency was not measured: a dry run writes no model to compare with.');
    return { output: null, totals: await modelTotals(model, []) };
  }
  job.enter('restructure');
  // Structured removal gives a smaller model computing the same function; it is what gets written.
  const structured = structure ? await restructureStep(state, structure.plan, structure.analysis, structure.targets) : null;
  const exported = structured?.model ?? model;
  let latency: LatencyInfo[] | undefined;
  const wantLatency = params.structured === true || params.measureLatency === true;
  // An ONNX model written as ONNX, where ONNX Runtime runs this job: the input file against the
  // written one, after the export, as a PyTorch user would run them.
  const onnxTimer = wantLatency && state.evaluator?.usesOnnxRuntime && outputFormat(out, params.format, loaded.format) === 'onnx' ? state.evaluator : null;
  try {
    if (wantLatency && !onnxTimer) {
      ctx.progress({ stage: 'latency', message: 'Timing inference (batch 1 and 64)' });
      // The masked model has the input's shapes, so on a dense backend it costs what the input costs.
      latency = await measureLatency(model, exported);
      watch.lap('latency');
    }
    throwIfCancelled(ctx);
    job.enter('export');
    await assertInputUnchanged(loaded, base.model.sha256);
    const result = await exportVerified(loaded, exported, model, data, { ...params, out }, writtenFiles, ctx);
    const output: OutputInfo = { ...result.output, structured: structured !== null };
    const totals = await modelTotals(exported, result.files);
    const structuredSection = structured ? structuredInfo(model, exported, { before: bytesBefore, after: result.output.bytes }) : undefined;
    watch.lap('export');
    if (onnxTimer) {
      ctx.progress({ stage: 'latency', message: 'Timing inference with ONNX Runtime (batch 1 and 64)' });
      latency = (await onnxTimer.latency(result.output.path)) ?? (await measureLatency(model, exported));
      watch.lap('latency');
    }
    return { output, totals, ...(latency ? { latency } : {}), ...(structuredSection ? { structured: structuredSection } : {}) };
  } finally {
    if (exported !== model) exported.dispose();
  }
}
