// The accuracy budget (`prune --max-drop`): prune as much of the objective as keeps held-out
// top-1 within the budget. split → sensitivity scan (cached) → allocation → attempts (apply,
// BatchNorm, fine-tune, verify; grow, then back off) per method → the best verified attempt.
import type * as tf from '@tensorflow/tfjs';
import type { PruneParams } from '../../protocol/engine';
import type { AccuracyResult, BudgetAttempt, BudgetObjective, BudgetSection, DataSplit, FinetuneInfo, PruneMethod, SensitivityCurve } from '../../protocol/report';
import packageJson from '../../../package.json';
import type { Dataset } from '../data/types';
import { applyMasks } from '../prune/apply';
import type { MaskPlan } from '../prune/methods';
import { kernelSparsity, needsSfp } from '../prune/pipeline';
import type { SfpAnalysis } from '../sfp/analyze';
import { targetByName, unitsNeeded } from '../sfp/graph';
import { layerStats } from '../stats';
import { EngineFailure } from '../core/errors';
import { throwIfCancelled, type JobContext } from '../core/context';
import { scoped } from '../pipeline/progress';
import { sfpOptions } from '../pipeline/sfp';
import { analyseStep, evaluateStep, finetuneStep, hasBatchNorm, recalibrateStep, WeightSnapshot } from '../pipeline/steps';
import type { JobState } from '../pipeline/state';
import { ALLOCATOR, allocate, saturated, type LayerCurve } from './allocate';
import { cacheFolder, cacheKey, readCache, writeCache, type CachedScan } from './cache';
import { allocationPlan, budgetMethods, layerMask, prunableBy, type LayerMaskRequest } from './methods';
import { searchBudget, type SearchHooks, type SearchSettings } from './search';
import { stratifiedSplit, subsetDataset } from './split';

export const DEFAULT_LADDER = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95];
export const DEFAULT_HELD_OUT = 0.5;
/** Bump when the scan's procedure changes, so older cache files miss. */
const SCAN_VERSION = 1;
/** BatchNorm batches (of 128) before each scan measurement (640 samples); the attempts use the default 40. */
const SCAN_BN_BATCHES = 5;
const OBJECTIVES: readonly BudgetObjective[] = ['params', 'macs', 'size'];

/** Refuses contradictory or out-of-range budget parameters before any work. */
export function checkBudgetParams(params: PruneParams): void {
  const { maxDrop } = params;
  if (maxDrop === undefined) return;
  if (!(Number.isFinite(maxDrop) && maxDrop >= 0)) throw new EngineFailure('mismatch', `the accuracy budget (--max-drop) must be 0 or more percentage points (got ${maxDrop})`);
  if (maxDrop > 100) throw new EngineFailure('mismatch', `the accuracy budget (--max-drop) is in percentage points of top-1, at most 100 (got ${maxDrop})`);
  const heldOut = params.heldOut ?? DEFAULT_HELD_OUT;
  if (!(heldOut > 0 && heldOut < 1)) throw new EngineFailure('mismatch', `the held-out share (--held-out) must be between 0 and 1, exclusive (got ${heldOut})`);
  const ladder = params.ladder ?? DEFAULT_LADDER;
  if (ladder.length === 0 || ladder.some((s) => !(s > 0 && s <= 1))) throw new EngineFailure('mismatch', `every ladder sparsity must be in (0, 1] (got ${ladder.join(', ')})`);
  if (params.objective !== undefined && !OBJECTIVES.includes(params.objective)) throw new EngineFailure('mismatch', `the objective must be one of ${OBJECTIVES.join(', ')} (got ${params.objective})`);
  for (const [flag, value] of [['--sparsity', params.sparsity], ['--target-sparsity', params.targetSparsity]] as const) {
    if (value !== undefined) throw new EngineFailure('mismatch', `${flag} fixes the sparsity; --max-drop searches it — give one of them`);
  }
  budgetMethods(params.method);
}

export interface BudgetOutcome {
  /** The method whose attempt was kept (the requested one when none was). */
  method: PruneMethod;
  section: BudgetSection;
  /** The kept attempt's masks; null when nothing met the budget (the model is as loaded then). */
  plan: MaskPlan | null;
  targets: string[];
  accuracy: { before: AccuracyResult; after: AccuracyResult };
  finetune?: FinetuneInfo;
  /** The SFP analysis (calibration data), when an AFCC-like method ran, and its cluster threshold. */
  analysis?: SfpAnalysis;
  threshold: number;
}

interface Kept {
  weights: WeightSnapshot;
  plan: MaskPlan;
  finetune?: FinetuneInfo;
  heldOut: AccuracyResult;
}

/** Per layer, what pruning its whole kernel removes of the objective; and the model's total. */
export function objectiveWeights(model: tf.LayersModel, state: Pick<JobState, 'graph'>, layers: string[], objective: BudgetObjective): { weights: Map<string, number>; total: number } {
  const stats = new Map(layerStats(model).map((s) => [s.name, s]));
  const all = [...stats.values()];
  const total = objective === 'macs' ? all.reduce((a, s) => a + s.macs, 0) : all.reduce((a, s) => a + s.params, 0) * (objective === 'size' ? 4 : 1);
  const weights = new Map(layers.map((name) => {
    const target = targetByName(state.graph, name);
    const kernel = target.kernelShape.reduce((a, b) => a * b, 1);
    // MACs of the layer's kernel: a sparse kernel executes its nonzero share of them (prune/apply layerCounts).
    const value = objective === 'macs' ? stats.get(name)?.macs ?? 0 : objective === 'size' ? kernel * 4 : kernel;
    return [name, value];
  }));
  return { weights, total: total || 1 };
}

export async function budgetPrune(state: JobState, params: PruneParams, modelSha256: string): Promise<BudgetOutcome> {
  const { job, model, graph, notes, data, train } = state;
  const maxDrop = params.maxDrop!;
  const seed = params.seed ?? 1;
  const objective = params.objective ?? 'params';
  const heldOutShare = params.heldOut ?? DEFAULT_HELD_OUT;
  const ladder = [...new Set(params.ladder ?? DEFAULT_LADDER)].sort((a, b) => a - b);
  const methods = budgetMethods(params.method);
  const layers = params.layers && params.layers.length > 0 ? params.layers : graph.targets.map((t) => t.name);
  layers.forEach((name) => targetByName(graph, name));
  const epochs = params.finetune?.epochs ?? (train ? 1 : 0);
  if (epochs > 0 && !train) throw new EngineFailure('bad-data', 'fine-tuning needs training data: pass --train-data (none was found beside the evaluation data)', params.data);
  const recalibrate = params.recalibrateBn !== false && hasBatchNorm(graph);

  // Split: the search sees the calibration part only; the held-out part gives the reported figure.
  job.enter('evaluate');
  const indices = stratifiedSplit(await data.labels(), heldOutShare, seed);
  const calibration = subsetDataset(data, indices.calibration, 'calibration');
  const heldOut = subsetDataset(data, indices.heldOut, 'held-out');
  const split: DataSplit = { calibration: calibration.size, heldOut: heldOut.size, seed, kind: 'stratified' };
  const calibrationBefore = await evaluateStep(state, 'evaluate-calibration', calibration, scoped(state.ctx, 0, 0.5));
  const heldOutBefore = await evaluateStep(state, 'evaluate-held-out', heldOut, scoped(state.ctx, 0.5, 1));
  state.watch.lap('evaluate-before');
  // BatchNorm statistics come from the training data, else from the calibration part (never the held-out one).
  const bnSource: Dataset | null = recalibrate ? train ?? calibration : null;
  if (recalibrate && !train) notes.push('BatchNorm statistics were re-estimated on the calibration part of the evaluation data (no training data); the held-out part stays unseen.');
  if (params.recalibrateBn !== false && !hasBatchNorm(graph)) notes.push('The model has no BatchNorm layer: nothing to re-estimate.');

  // Analyse (AFCC-like methods): label sets from calibration data only.
  let analysis: SfpAnalysis | undefined;
  const sfpLayers = methods.some(needsSfp) ? prunableBy(graph, 'afcc', layers) : [];
  const options = sfpOptions(params, { blocks: sfpLayers.length ? unitsNeeded(graph, sfpLayers) : [], poolTo: null, trainData: train ?? undefined });
  if (sfpLayers.length > 0) {
    job.enter('analyse');
    analysis = await analyseStep(state, options, calibration);
    state.watch.lap('sfp');
  }

  const original = new WeightSnapshot(model);
  const kept = new Map<BudgetAttempt, Kept>();
  try {
    // Sensitivity scan per method (cached).
    job.enter('plan');
    const { weights, total } = objectiveWeights(model, state, layers, objective);
    const scans: { method: PruneMethod; curves: SensitivityCurve[]; cache: BudgetSection['sensitivity']['cache'] }[] = [];
    for (const [i, method] of methods.entries()) {
      const request: LayerMaskRequest = { graph, method, seed, threshold: options.threshold, analysis };
      const own = prunableBy(graph, method, layers);
      const key = scanKey(params, {
        modelSha256,
        data: { sha256: data.info.sha256, size: data.size },
        calibration: calibration.size,
        batchNorm: !bnSource ? 'none' : train ? `${train.info.sha256}:${train.size}` : 'calibration',
        method,
        layers: own,
        readout: { epochs: options.readout.epochs, seed: options.readout.seed },
      });
      const folder = cacheFolder(state.loaded.path);
      let scan = params.cache === false ? null : await readCache(folder, key);
      const hit = scan !== null;
      let file: string | undefined;
      if (!scan) {
        const ctx = scoped(state.ctx, i / methods.length, (i + 1) / methods.length);
        scan = { key, baseline: calibrationBefore.top1, curves: await scanLayers(own, ladder, ctx, async (layer, sparsity, inner) => {
          const mask = layerMask(request, layer, sparsity);
          if (!mask) return null;
          original.restore();
          applyMasks(model, [mask]);
          if (bnSource) await recalibrateStep(state, bnSource, scoped(inner, 0, 0.5), { batches: SCAN_BN_BATCHES });
          return (await evaluateStep(state, `sensitivity-${layer}`, calibration, scoped(inner, 0.5, 1))).top1;
        }) };
        original.restore();
        if (params.cache !== false) file = (await writeCache(folder, scan, state.loaded.files)) ?? undefined;
        if (params.cache !== false && !file) notes.push(`The sensitivity scan could not be cached in ${folder} (not writable).`);
      } else {
        file = `${folder}/${key}.json`;
      }
      scans.push({ method, curves: curvesOf(scan, method, weights), cache: { key, hit, ...(file ? { path: file } : {}) } });
      state.watch.lap(`sensitivity-${method}${hit ? '-cached' : ''}`);
    }

    // Attempts per method.
    job.enter('verify');
    const finetuneOptions = { ...(params.finetune ?? {}), epochs };
    if (epochs > 0 && params.finetune?.trainLimit !== undefined && train && params.finetune.trainLimit < train.size) {
      notes.push(`Every attempt was fine-tuned on the first ${params.finetune.trainLimit} of ${train.size} training samples (trainLimit).`);
    }
    const attempts: BudgetAttempt[] = [];
    const searchOf = (scan: (typeof scans)[number], ctx: JobContext) => {
      const request: LayerMaskRequest = { graph, method: scan.method, seed, threshold: options.threshold, analysis };
      const curves: LayerCurve[] = scan.curves.map((c) => ({ layer: c.layer, weight: c.weight, points: c.points.map((p) => ({ sparsity: p.sparsity, drop: (c.baseline - p.top1) * 100 })) }));
      let tries = 0;
      let current: { plan: MaskPlan; finetune?: FinetuneInfo; heldOut: AccuracyResult } | null = null;
      const hooks: SearchHooks = {
        allocate: (budget) => allocate(curves, budget),
        saturated: (allocation) => saturated(curves, allocation),
        attempt: async (layerSparsity, label) => {
          throwIfCancelled(ctx);
          // Up to 7 attempts (3 growing, 3 backing off, 1 spare): each gets a slice.
          const inner = scoped(ctx, Math.min(tries, 6) / 7, Math.min(tries + 1, 7) / 7);
          tries++;
          ctx.progress({ stage: 'budget-attempt', message: `${scan.method}: ${label}` });
          original.restore();
          const plan = allocationPlan(request, layerSparsity);
          applyMasks(model, plan.masks);
          if (bnSource) await recalibrateStep(state, bnSource, scoped(inner, 0, 0.1));
          const finetune = epochs > 0 ? await finetuneStep(state, plan.masks, finetuneOptions, seed, scoped(inner, 0.1, 0.8), true) : undefined;
          const calibrationTop1 = (await evaluateStep(state, 'evaluate-calibration', calibration, scoped(inner, 0.8, 0.9))).top1;
          const heldOutResult = await evaluateStep(state, 'evaluate-held-out', heldOut, scoped(inner, 0.9, 1));
          current = { plan, finetune, heldOut: heldOutResult };
          const applied = kernelSparsity(model, plan.masks).perLayer;
          const removed = Object.entries(applied).reduce((a, [layer, s]) => a + s * (weights.get(layer) ?? 0), 0) / total;
          return { calibrationTop1, heldOutTop1: heldOutResult.top1, removed, layerSparsity: applied };
        },
        keep: (attempt) => {
          const at = current!;
          kept.set(attempt, { weights: new WeightSnapshot(model), plan: at.plan, finetune: at.finetune, heldOut: at.heldOut });
        },
      };
      const settings: SearchSettings = { method: scan.method, maxDrop, calibrationBefore: calibrationBefore.top1, heldOutBefore: heldOutBefore.top1 };
      return { hooks, settings };
    };
    const perMethod: { method: PruneMethod; best: BudgetAttempt | null }[] = [];
    let leaderMethod: PruneMethod | undefined;
    if (scans.length === 1) {
      const { hooks, settings } = searchOf(scans[0]!, state.ctx);
      const result = await searchBudget(hooks, settings);
      attempts.push(...result.attempts);
      perMethod.push({ method: scans[0]!.method, best: result.chosen });
    } else {
      // method auto: every method's first allocation (the budget itself) is fine-tuned and
      // verified; the method that removed the most within the budget on calibration data (else
      // the one that came closest) continues the search. Bounds the cost at one search plus one
      // attempt per other method.
      const screening = [];
      for (const [i, scan] of scans.entries()) {
        const { hooks, settings } = searchOf(scan, scoped(state.ctx, (0.4 * i) / scans.length, (0.4 * (i + 1)) / scans.length));
        const result = await searchBudget(hooks, { ...settings, growAttempts: 1, backoffSteps: 0 });
        attempts.push(...result.attempts);
        screening.push({ scan, result });
      }
      const calibrationDrop = (a: BudgetAttempt) => (calibrationBefore.top1 - a.calibrationTop1) * 100;
      const leader = [...screening].filter((s) => s.result.first).sort((a, b) => {
        const okA = calibrationDrop(a.result.first!.attempt) <= maxDrop;
        const okB = calibrationDrop(b.result.first!.attempt) <= maxDrop;
        if (okA !== okB) return okA ? -1 : 1;
        return okA ? b.result.first!.attempt.removed - a.result.first!.attempt.removed : calibrationDrop(a.result.first!.attempt) - calibrationDrop(b.result.first!.attempt);
      })[0];
      let leaderBest: BudgetAttempt | null = null;
      leaderMethod = leader?.scan.method;
      if (leader) {
        notes.push(`method auto: ${leader.scan.method} led after every method's first attempt; the search continued with it.`);
        const { hooks, settings } = searchOf(leader.scan, scoped(state.ctx, 0.4, 1));
        const result = await searchBudget(hooks, settings, leader.result.first!);
        attempts.push(...result.attempts);
        leaderBest = result.chosen;
      }
      for (const { scan, result } of screening) {
        const best = scan === leader?.scan ? leaderBest ?? result.chosen : result.chosen;
        perMethod.push({ method: scan.method, best });
      }
    }
    state.watch.lap('attempts');

    // The best verified attempt over the methods: the most removed, then the better held-out top-1.
    const ranked = perMethod.filter((m) => m.best).sort((a, b) => b.best!.removed - a.best!.removed || b.best!.heldOutTop1 - a.best!.heldOutTop1);
    const winner = ranked[0]?.best ?? null;
    const keptWinner = winner ? kept.get(winner)! : null;
    if (keptWinner) keptWinner.weights.restore();
    else original.restore();
    if (methods.length > 1) notes.push(autoVerdict(ranked.map((m) => m.best!), perMethod, objective, leaderMethod));
    const section: BudgetSection = {
      maxDrop,
      objective,
      requestedMethod: params.method,
      split,
      allocator: `${ALLOCATOR}; grown ×4 on calibration data while within the budget after fine-tuning, then bisected; backed off by bisection on a global scale of the allocation until the held-out drop is within the budget${methods.length > 1 ? '; method auto: every method\'s first allocation fine-tuned and verified, the search continued with the one that removed the most within the budget on calibration data' : ''}`,
      sensitivity: {
        objective,
        ladder,
        curves: scans.flatMap((s) => s.curves),
        bnRecalibrated: bnSource !== null,
        // One entry for all methods: hit when every scan came from the cache.
        cache: { key: scans.map((s) => s.cache.key).join('+'), hit: scans.every((s) => s.cache.hit), ...(scans.every((s) => s.cache.path) ? { path: cacheFolder(state.loaded.path) } : {}) },
      },
      attempts,
      chosen: winner,
      heldOutBefore,
      heldOutAfter: keptWinner ? keptWinner.heldOut : null,
      ...(methods.length > 1 ? { methods: perMethod } : {}),
    };
    return {
      method: winner?.method ?? methods[0]!,
      section,
      plan: keptWinner?.plan ?? null,
      targets: keptWinner ? keptWinner.plan.masks.map((m) => m.layer) : layers,
      accuracy: { before: heldOutBefore, after: keptWinner ? keptWinner.heldOut : heldOutBefore },
      ...(keptWinner?.finetune ? { finetune: keptWinner.finetune } : {}),
      ...(analysis ? { analysis } : {}),
      threshold: options.threshold,
    };
  } finally {
    original.dispose();
    for (const k of kept.values()) k.weights.dispose();
  }
}

/** What decides a sensitivity scan besides the job's parameters. */
export interface ScanFacts {
  modelSha256: string;
  data: { sha256: string; size: number };
  calibration: number;
  /** Where BatchNorm was re-estimated: the training data's sha256 and size, 'calibration' or 'none'. */
  batchNorm: string;
  method: PruneMethod;
  layers: string[];
  readout: { epochs: number; seed: number };
}

/** The cache key of one method's scan: the model, data, split, method, ladder and engine; nothing the scan does not read. */
export function scanKey(params: Pick<PruneParams, 'seed' | 'heldOut' | 'ladder'>, facts: ScanFacts): string {
  const seed = params.seed ?? 1;
  const { method } = facts;
  return cacheKey({
    engineVersion: `${packageJson.version}/${SCAN_VERSION}`,
    modelSha256: facts.modelSha256,
    dataSha256: facts.data.sha256,
    samples: facts.data.size,
    split: { seed, heldOut: params.heldOut ?? DEFAULT_HELD_OUT, calibration: facts.calibration },
    method,
    ladder: [...new Set(params.ladder ?? DEFAULT_LADDER)].sort((a, b) => a - b),
    layers: facts.layers,
    batchNorm: facts.batchNorm,
    methodSettings: needsSfp(method) ? { readoutEpochs: facts.readout.epochs, readoutSeed: facts.readout.seed, seed } : method === 'random' || method === 'random-afcc' ? { seed } : {},
  });
}

/** Each layer alone at every ladder sparsity: top-1, or null where the method cannot reach it. */
export async function scanLayers(
  layers: string[],
  ladder: number[],
  ctx: JobContext,
  measure: (layer: string, sparsity: number, ctx: JobContext) => Promise<number | null>,
): Promise<CachedScan['curves']> {
  const curves: CachedScan['curves'] = [];
  const count = layers.length * ladder.length;
  let done = 0;
  for (const layer of layers) {
    const points: { sparsity: number; top1: number }[] = [];
    for (const sparsity of ladder) {
      throwIfCancelled(ctx);
      ctx.progress({ stage: 'sensitivity', layer, message: `${layer} at ${(sparsity * 100).toFixed(0)}%`, fraction: done / count });
      const top1 = await measure(layer, sparsity, scoped(ctx, done / count, (done + 1) / count));
      if (top1 !== null) points.push({ sparsity, top1 });
      done++;
    }
    curves.push({ layer, points });
  }
  return curves;
}

function curvesOf(scan: CachedScan, method: PruneMethod, weights: Map<string, number>): SensitivityCurve[] {
  return scan.curves.map((c) => ({ layer: c.layer, method, baseline: scan.baseline, points: c.points, weight: weights.get(c.layer) ?? 0 }));
}

/** method auto: which method won, by how much, in one sentence. */
function autoVerdict(ranked: BudgetAttempt[], perMethod: { method: PruneMethod; best: BudgetAttempt | null }[], objective: BudgetObjective, leader?: PruneMethod): string {
  const none = perMethod.filter((m) => !m.best).map((m) => m.method);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (ranked.length === 0) return `method auto: no method met the budget (${perMethod.map((m) => m.method).join(', ')}).`;
  const [first, second] = ranked;
  // Only the leader's search went past its first attempt: say so where the margin is against another method.
  const only = (method: PruneMethod) => (leader && method !== leader ? ' after its first attempt only' : '');
  const margin = second ? `, ${((first!.removed - second.removed) * 100).toFixed(1)} points of the ${objective} more than ${second.method}${only(second.method)} (${pct(second.removed)}, held-out drop ${second.verifiedDrop.toFixed(2)} pp)` : '';
  return `method auto: ${first!.method}${only(first!.method)} won with ${pct(first!.removed)} of the ${objective} removed at a held-out drop of ${first!.verifiedDrop.toFixed(2)} pp${margin}${none.length ? `; no attempt of ${none.join(', ')} met the budget` : ''}.`;
}
