// The typed steps every job composes (prune, compare, sweep, the budget search) over a JobState:
// evaluate, analyse, plan, apply, recalibrate, fine-tune, restructure; export and verify are in
// export.ts, load in jobs/open.ts (it reads the files through the jobs' shared loaders). A step
// does its work with the context it is given (the job's, or a slice of a larger step's) and adds
// its notes to the state; entering a planned step is the job's call.
import * as tf from '@tensorflow/tfjs';
import type { FinetuneOptions as ProtocolFinetuneOptions } from '../../protocol/engine';
import type { AccuracyResult, FinetuneInfo } from '../../protocol/report';
import type { Dataset } from '../data/types';
import { evaluate } from '../eval/evaluate';
import { applyMasks } from '../prune/apply';
import type { MaskPlan } from '../prune/methods';
import { planMasks, type PlanRequest } from '../prune/pipeline';
import { reinitialiseOutput } from '../prune/randomAfcc';
import { emptyLabelFilters } from '../prune/removal';
import { removeDeadFilters, type StructuredResult } from '../prune/structured';
import type { SfpAnalysis, SfpOptions } from '../sfp/analyze';
import type { ModelGraph } from '../sfp/graph';
import { finetune, type FinetuneOptions as TrainFinetuneOptions } from '../train/finetune';
import { recalibrateBatchNorm, type RecalibrateOptions } from '../train/recalibrate';
import { EngineFailure } from '../core/errors';
import type { JobContext } from '../core/context';
import type { MaskSet } from '../graph/masks';
import type { Evaluator } from './evaluator';
import { firstSamples } from './export';
import type { JobProgress } from './progress';
import { failReadably, runSfp } from './sfp';
import type { JobState } from './state';

/** evaluate: top-1/top-5/loss of the model as it is now. */
export async function evaluateStep(state: JobState, stage: string, data: Dataset = state.data, ctx: JobContext = state.ctx): Promise<AccuracyResult> {
  return measured(state.evaluator, state.model, data, ctx, stage);
}

/** Accuracy by the job's Evaluator (ONNX Runtime where it serves the model), else by TensorFlow.js. */
async function measured(evaluator: Evaluator | undefined, model: tf.LayersModel, data: Dataset, ctx: JobContext, stage: string): Promise<AccuracyResult> {
  return (evaluator ? await evaluator.evaluate(model, data, ctx, { stage }) : await evaluate(model, data, ctx, { stage })).accuracy;
}

/** analyse: SFP label sets at the units the masks need. */
export async function analyseStep(state: JobState, options: SfpOptions, data: Dataset = state.data, ctx: JobContext = state.ctx): Promise<SfpAnalysis> {
  const analysis = await runSfp(state.loaded, data, options, ctx);
  state.notes.push(...analysis.notes);
  return analysis;
}

/** plan: the masks of one method (prune/pipeline.ts planMasks), readable errors naming the model. */
export function planStep(state: JobState, request: Omit<PlanRequest, 'graph'>): MaskPlan {
  const plan = failReadably(state.loaded, () => planMasks({ ...request, graph: state.graph }));
  state.notes.push(...plan.notes);
  return plan;
}

/** apply: the masks as exact zeros; random-afcc may re-draw the output layer's kept weights. */
export function applyStep(state: JobState, plan: MaskPlan, options: { reinitOutput?: boolean; seed?: number } = {}): void {
  applyMasks(state.model, plan.masks);
  if (plan.method === 'random-afcc' && options.reinitOutput) {
    const outputMask = plan.masks.find((m) => m.layer === state.graph.output.name);
    if (outputMask) reinitialiseOutput(state.graph.output.layer, outputMask, options.seed ?? 1);
    state.notes.push('random-afcc: the output layer\'s kept weights were re-drawn (METHOD.md §9.1 step 4).');
  }
}

export function hasBatchNorm(graph: ModelGraph): boolean {
  // Nested models' layers count: the graph flattens them.
  return graph.graph.nodes.some((n) => n.className === 'BatchNormalization');
}

/**
 * recalibrate: BatchNorm re-estimation on `source` (the training data), then evaluate; nothing
 * when the model has no BatchNorm, and a note (no evaluation data is used instead: no test
 * leakage) when there is no source.
 */
export async function recalibrated(model: tf.LayersModel, graph: ModelGraph, source: Dataset | null, data: Dataset, ctx: JobContext, notes: string[], job?: JobProgress, options: RecalibrateOptions & { evaluator?: Evaluator } = {}): Promise<AccuracyResult | undefined> {
  if (!hasBatchNorm(graph)) return undefined;
  if (!source) {
    notes.push('BatchNorm statistics were not re-estimated: no training data (pass --train-data); accuracy after masking may be far below what the pruned weights can do (METHOD.md §14).');
    return undefined;
  }
  job?.enter('recalibrate');
  const { evaluator, ...recalibration } = options;
  await recalibrateBatchNorm(model, source, ctx, recalibration);
  job?.enter('evaluate');
  return measured(evaluator, model, data, ctx, 'evaluate-recalibrated');
}

/** recalibrate without the evaluation: only the moving statistics change. Returns whether it ran. */
export async function recalibrateStep(state: JobState, source: Dataset | null, ctx: JobContext = state.ctx, options?: RecalibrateOptions): Promise<boolean> {
  if (!source || !hasBatchNorm(state.graph)) return false;
  await recalibrateBatchNorm(state.model, source, ctx, options);
  return true;
}

/** Protocol fine-tune options → the train module's (augmentation = METHOD.md §2.1 flip and ±4 px shift). */
export function finetuneSettings(options: ProtocolFinetuneOptions, seed: number): TrainFinetuneOptions {
  const { augment, trainData: _trainData, trainLimit: _trainLimit, ...rest } = options;
  return { ...rest, seed, ...(augment ? { augment: { flip: true, shift: 4 } } : {}) };
}

/** fine-tune: masked fine-tuning on the training data (the first trainLimit samples of it). */
export async function finetuneStep(state: JobState, masks: MaskSet, options: ProtocolFinetuneOptions, seed: number, ctx: JobContext = state.ctx, quiet = false): Promise<FinetuneInfo> {
  if (!state.train) throw new EngineFailure('bad-data', 'fine-tuning needs training data: pass --train-data (none was found beside the evaluation data)', state.data.info.path);
  const part = firstSamples(state.train, options.trainLimit);
  if (part !== state.train && !quiet) state.notes.push(`Fine-tuned on the first ${part.size} of ${state.train.size} training samples (trainLimit).`);
  return finetune(state.model, masks, part, finetuneSettings(options, seed), ctx);
}

/**
 * restructure (--structured): a smaller model computing the same function, with the dead filters
 * removed, and besides them AFCC's empty label sets in the units feeding a targeted kernel and the
 * filters sfp-filters ranked out.
 */
export async function restructureStep(state: JobState, plan: MaskPlan, analysis: SfpAnalysis | undefined, targets: string[]): Promise<StructuredResult> {
  const remove = plan.removeFilters ?? (plan.method === 'afcc' && analysis ? emptyLabelFilters(analysis, state.graph, targets, plan.threshold ?? 0.3) : undefined);
  const structured = await removeDeadFilters(state.model, { remove });
  state.notes.push(`Removed filters: ${structured.layers.map((l) => `${l.layer} ${l.before}→${l.after}`).join(', ') || 'none were dead'}.`);
  if (structured.kept.length) {
    const shown = structured.kept.slice(0, 5).map((k) => `${k.layer} channel ${k.channel}: ${k.reason}`);
    const more = structured.kept.length > shown.length ? ` (and ${structured.kept.length - shown.length} more)` : '';
    state.notes.push(`Kept ${structured.kept.length} channel(s) that could not be removed exactly: ${shown.join('; ')}${more}.`);
  }
  return structured;
}

/** Every weight of the model (moving statistics included), to restore between trials. */
export class WeightSnapshot {
  private readonly values: tf.Tensor[];

  constructor(private readonly model: tf.LayersModel) {
    this.values = model.getWeights().map((w) => w.clone());
  }

  restore(): void {
    this.model.setWeights(this.values);
  }

  dispose(): void {
    tf.dispose(this.values);
  }
}
