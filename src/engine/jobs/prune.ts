// `prune`: evaluate → SFP (AFCC and random-AFCC) → masks → exact zeros → evaluate → BatchNorm
// re-estimation and masked fine-tuning → evaluate → write beside the input, reload and verify.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PruneParams } from '../../protocol/engine';
import type { AccuracyResult, FinetuneInfo, OutputInfo, PruneReport } from '../../protocol/report';
import { initBackend } from '../backend';
import type { Dataset } from '../data/types';
import { evaluate } from '../eval/evaluate';
import { defaultPrunedPath, openModel, saveModel, type LoadedModel } from '../formats';
import { blocksNeeded } from '../prune/afcc';
import { applyMasks, modelCounts } from '../prune/apply';
import { removeDeadFilters } from '../prune/structured';
import { kernelSparsity, needsSfp, planMasks, prunedLayers, resolveTargets, type MaskMethod } from '../prune/pipeline';
import { reinitialiseOutput } from '../prune/randomAfcc';
import { sfpSection } from '../sfp/analyze';
import { modelGraph } from '../sfp/graph';
import { fileSizes, modelTotals } from '../stats';
import { finetune, type FinetuneOptions as TrainFinetuneOptions } from '../train/finetune';
import { recalibrateBatchNorm } from '../train/recalibrate';
import { openTrainingData, runSfp, sfpOptions, writeMatricesFile } from './analyze';
import { disposeModel, loadDatasetForModel, loadModelForJob, reportBase, sha256Files, Stopwatch } from './common';
import { EngineFailure, throwIfCancelled, type JobContext } from './context';

/** Output paths of the prune jobs running in this process: a second job writing one is refused. */
const outputsInUse = new Set<string>();

export async function pruneJob(params: PruneParams, ctx: JobContext): Promise<PruneReport> {
  if (params.method === 'sfp-filters') throw new EngineFailure('unsupported', 'The sfp-filters method is not available in this version; use afcc or a baseline.');
  const method = params.method as MaskMethod;
  const seed = params.seed ?? 1;
  const watch = new Stopwatch();
  const backend = await initBackend();
  const loaded = await loadModelForJob(params.model, ctx);
  const opened: Dataset[] = [];
  const written: string[] = [];
  let finished = false;
  const out = params.dryRun ? null : path.resolve(params.out ?? defaultPrunedPath(loaded.path, params.format));
  // The folder a TF.js output gets (`<stem>.pruned/`) goes too when the job does not finish.
  const outFolderExisted = out ? await fs.stat(path.dirname(out)).then(() => true, () => false) : true;
  if (out && outputsInUse.has(out)) {
    disposeModel(loaded);
    throw new EngineFailure('io', 'another job is writing this output; wait for it to finish or choose another --out', out);
  }
  if (out) outputsInUse.add(out);
  try {
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
    const graph = modelGraph(model);
    notes.push(...graph.notes);
    const targets = failReadably(loaded, () => resolveTargets(graph, params.layers, method));

    const before = (await evaluate(model, data, ctx, { stage: 'evaluate-before' })).accuracy;
    watch.lap('evaluate-before');
    const options = sfpOptions(params, { blocks: blocksNeeded(graph, targets), poolTo: null, trainData: train ?? undefined });
    const analysis = needsSfp(method) ? await runSfp(loaded, data, options, ctx) : undefined;
    if (analysis) notes.push(...analysis.notes);
    watch.lap('sfp');
    const plan = failReadably(loaded, () =>
      planMasks({ method, graph, targets, seed, threshold: options.threshold, targetSparsity: params.targetSparsity, sparsity: params.sparsity, analysis }));
    notes.push(...plan.notes);
    throwIfCancelled(ctx);
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
    const afterMask = (await evaluate(model, data, ctx, { stage: 'evaluate-masked' })).accuracy;
    watch.lap('evaluate-masked');
    let afterBn: AccuracyResult | undefined;
    if (params.recalibrateBn !== false) afterBn = await recalibrated(model, train, data, ctx, notes);
    if (afterBn) watch.lap('recalibrate-bn');
    let finetuneInfo: FinetuneInfo | undefined;
    let after = afterBn ?? afterMask;
    if (params.finetune && params.finetune.epochs > 0) {
      if (!train) throw new EngineFailure('bad-data', 'fine-tuning needs training data: pass --train-data (none was found beside the evaluation data)', params.data);
      finetuneInfo = await finetune(model, plan.masks, train, finetuneSettings(params.finetune, seed), ctx);
      watch.lap('finetune');
      after = (await evaluate(model, data, ctx, { stage: 'evaluate-after' })).accuracy;
      watch.lap('evaluate-after');
    }
    const countsAfter = modelCounts(model);
    const sparsity = kernelSparsity(model, plan.masks);
    let output: OutputInfo | null = null;
    let totalsAfter = await modelTotals(model, []);
    if (!params.dryRun) {
      // Structured removal gives a smaller model computing the same function; it is what gets written.
      const structured = params.structured ? await removeDeadFilters(model) : null;
      if (structured) notes.push(`Removed filters: ${structured.layers.map((l) => `${l.layer} ${l.before}→${l.after}`).join(', ') || 'none were dead'}.`);
      try {
        throwIfCancelled(ctx);
        await assertInputUnchanged(loaded, base.model.sha256);
        const result = await exportVerified(loaded, structured?.model ?? model, model, data, params, written, ctx);
        output = { ...result.output, structured: structured !== null };
        totalsAfter = await modelTotals(structured?.model ?? model, result.files);
      } finally {
        if (structured && structured.model !== model) structured.model.dispose();
      }
      watch.lap('export');
    }
    let sfp = analysis ? sfpSection(analysis, plan.threshold ?? options.threshold) : undefined;
    if (analysis && sfp && params.matricesPath) {
      sfp = { ...sfp, matricesPath: await writeMatricesFile(analysis, path.resolve(params.matricesPath), loaded.files) };
      written.push(sfp.matricesPath!);
    }
    finished = true;
    return {
      ...base,
      method: params.method,
      seed,
      options: { layers: targets, threshold: plan.threshold, targetSparsity: params.targetSparsity, sparsity: params.sparsity, recalibrateBn: params.recalibrateBn !== false, readoutEpochs: options.readout.epochs, reinitOutput: params.reinitOutput ?? false },
      dataset: data.info,
      layers: prunedLayers(model, countsBefore, countsAfter, plan.masks, plan.threshold),
      totals: { before: totalsBefore, after: totalsAfter },
      targetedSparsity: sparsity.overall,
      accuracy: { before, afterMask, ...(afterBn ? { afterBnRecalibration: afterBn } : {}), after },
      ...(sfp ? { sfp } : {}),
      ...(finetuneInfo ? { finetune: finetuneInfo } : {}),
      output,
      timings: [...watch.timings(), ...(analysis?.timings.map((t) => ({ stage: `sfp-${t.stage}`, seconds: Math.round(t.seconds * 1000) / 1000 })) ?? [])],
      notes,
    };
  } finally {
    if (!finished) await Promise.all(written.map((f) => fs.rm(f, { force: true })));
    // rmdir, not rm -r: only when nothing but this job's files was ever in it.
    if (!finished && out && !outFolderExisted) await fs.rmdir(path.dirname(out)).catch(() => undefined);
    if (out) outputsInUse.delete(out);
    opened.forEach((d) => d.close?.());
    disposeModel(loaded);
  }
}

/**
 * The pruned model is derived from the input as it was loaded (its sha256 is in the report); when
 * the input was changed or deleted meanwhile, writing it would pass off an old model as the new.
 */
async function assertInputUnchanged(loaded: LoadedModel, sha256AtLoad: string): Promise<void> {
  let sha256Now: string;
  try {
    sha256Now = await sha256Files(loaded.files);
  } catch (error) {
    for (const file of loaded.files) {
      const present = await fs.stat(file).then(() => true, () => false);
      if (!present) throw new EngineFailure('io', 'was deleted while the job ran; no pruned model was written', file);
    }
    throw error;
  }
  if (sha256Now !== sha256AtLoad) {
    throw new EngineFailure('io', 'changed while the job ran (its sha256 differs from when it was loaded); no pruned model was written — run the job again', loaded.path);
  }
}

/** BatchNorm re-estimation on training data; without training data it is skipped (no test leakage). */
export async function recalibrated(model: tf.LayersModel, train: Dataset | null, data: Dataset, ctx: JobContext, notes: string[]): Promise<AccuracyResult | undefined> {
  if (!model.layers.some((l) => l.getClassName() === 'BatchNormalization')) return undefined;
  if (!train) {
    notes.push('BatchNorm statistics were not re-estimated: no training data (pass --train-data); accuracy after masking may be far below what the pruned weights can do (METHOD.md §14).');
    return undefined;
  }
  await recalibrateBatchNorm(model, train, ctx);
  return (await evaluate(model, data, ctx, { stage: 'evaluate-recalibrated' })).accuracy;
}

/** Protocol fine-tune options → the train module's (augmentation = METHOD.md §2.1 flip and ±4 px shift). */
export function finetuneSettings(options: NonNullable<PruneParams['finetune']>, seed: number): TrainFinetuneOptions {
  const { augment, trainData: _trainData, ...rest } = options;
  return { ...rest, seed, ...(augment ? { augment: { flip: true, shift: 4 } } : {}) };
}

function failReadably<T>(loaded: LoadedModel, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof Error && error.constructor === Error) throw new EngineFailure('mismatch', error.message, loaded.path);
    throw error;
  }
}

/** Saves beside the input (never over it), reloads, and compares predictions with `reference` on one batch. */
async function exportVerified(
  loaded: LoadedModel,
  model: tf.LayersModel,
  reference: tf.LayersModel,
  data: Dataset,
  params: PruneParams,
  written: string[],
  ctx: JobContext,
): Promise<{ output: OutputInfo; files: string[] }> {
  const format = params.format ?? loaded.format;
  const out = path.resolve(params.out ?? defaultPrunedPath(loaded.path, params.format));
  if (loaded.files.some((f) => path.resolve(f) === out)) throw new EngineFailure('io', 'the output path is the input model; choose another --out', out);
  ctx.progress({ stage: 'export', message: `Writing ${out}` });
  const files = await saveModel(model, out, format, { protectedFiles: loaded.files });
  written.push(...files);
  throwIfCancelled(ctx);
  const reloaded = await openModel(out);
  let maxAbsDiff = Infinity;
  try {
    for await (const batch of data.batches({ batchSize: 64, start: 0, end: Math.min(64, data.size) })) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(reference.predict(batch.x) as tf.Tensor, reloaded.model.predict(batch.x) as tf.Tensor))));
      maxAbsDiff = (await diff.data())[0];
      diff.dispose();
      batch.x.dispose();
    }
  } finally {
    reloaded.model.dispose();
  }
  const verified = maxAbsDiff <= 1e-5;
  if (!verified) throw new EngineFailure('io', `the written model does not reproduce the pruned model (max |Δ| = ${maxAbsDiff})`, out);
  const sizes = await fileSizes(files);
  return { output: { path: out, format, bytes: sizes.bytes, gzipBytes: sizes.gzipBytes, verified, maxAbsDiff, structured: false }, files };
}
