// The pruning steps the prune and compare jobs share: which layers, which SFP, which masks, and
// the per-layer rows of the report.
import type * as tf from '@tensorflow/tfjs';
import type { LayerCounts, PrunedLayer, PruneMethod, TargetDecision } from '../../protocol/report';
import type { SfpAnalysis } from '../sfp/analyze';
import { defaultTargets, requireLinked, targetByName, type ModelGraph, type PruneTarget } from '../sfp/graph';
import { EngineFailure } from '../core/errors';
import { afccPlan, balancedPlanAt, baselinePlan, isAfccVariant, kernelZerosOf, variantPlan, zerosAtSparsity, type MaskPlan } from './methods';
import { sfpFilterMasks } from './sfpFilters';
import { afccMasksAt, labelSetsAt } from './threshold';
import type { MaskSet } from '../graph/masks';
import type { LabelSets } from './afcc';
import { kernelIndexOf, layerById } from '../graph/layers';

export type MaskMethod = Exclude<PruneMethod, 'sfp-filters'>;

export function needsSfp(method: PruneMethod): boolean {
  return method === 'afcc' || method === 'random-afcc' || method === 'sfp-filters' || isAfccVariant(method);
}

/** The kernels to mask: the named layers, or the default of METHOD.md §15.3 (§14 on a chain). */
export function resolveTargets(graph: ModelGraph, layers: string[] | undefined, method: PruneMethod): string[] {
  const targets = layers && layers.length > 0 ? layers : defaultTargets(graph);
  if (targets.length === 0) throw new EngineFailure('unsupported', 'the model has no Conv2D / Dense / SeparableConv2D layer to prune');
  // AFCC needs label sets on every target's in-channels; the baselines only need a kernel.
  targets.forEach((t) => (needsSfp(method) ? requireLinked(graph, t) : targetByName(graph, t)));
  return targets;
}

export interface PlanRequest {
  method: PruneMethod;
  graph: ModelGraph;
  targets: string[];
  seed: number;
  threshold: number;
  targetSparsity?: number;
  sparsity?: number;
  analysis?: SfpAnalysis;
}

/**
 * Masks for one method used alone. AFCC: at the threshold or the searched one. random-afcc: its
 * own structure (k matched to the measured |L|), brought to --sparsity when given. afcc-balanced:
 * at --sparsity per targeted layer when given, else its balanced label sets at the threshold.
 * afcc-hybrid: at --sparsity per targeted layer when given, else at the per-layer sparsity AFCC
 * reaches at the threshold. Other baselines need --sparsity (or --target-sparsity) per targeted
 * layer; for sfp-filters it is the share of filters feeding each targeted layer that lose their
 * connections.
 */
export function planMasks(request: PlanRequest): MaskPlan {
  const { method, graph, targets, seed, analysis } = request;
  if (method === 'afcc') return afccPlan(need(analysis), targets, request.threshold, request.targetSparsity);
  const level = request.sparsity ?? request.targetSparsity;
  if (method === 'sfp-filters') {
    if (level === undefined) throw new EngineFailure('mismatch', '--method sfp-filters needs --sparsity (the share of the filters feeding each targeted layer to remove)');
    const plan = sfpFilterMasks(need(analysis), graph, targets, level, request.threshold);
    return { method, masks: plan.masks, threshold: request.threshold, removeFilters: plan.removed, notes: plan.notes };
  }
  if (isAfccVariant(method)) {
    const at = need(analysis);
    if (level !== undefined) return variantPlan(method, at, graph, targets, zerosAtSparsity(graph, targets, level), seed);
    if (method === 'afcc-balanced') return balancedPlanAt(at, targets, request.threshold);
    const plan = variantPlan(method, at, graph, targets, kernelZerosOf(graph, afccMasksAt(at, targets, request.threshold)), seed);
    return { ...plan, notes: [`afcc-hybrid at the per-layer sparsity AFCC reaches at threshold ${request.threshold} (pass --sparsity for another).`, ...plan.notes] };
  }
  if (method === 'random-afcc') {
    const measured = labelSetsAt(need(analysis), request.threshold);
    const zeros = level !== undefined ? zerosAtSparsity(graph, targets, level) : new Map<string, number>();
    return baselinePlan(method, graph, targets, zeros, seed, measured);
  }
  if (level === undefined) throw new EngineFailure('mismatch', `--method ${method} needs --sparsity (the share of each targeted layer's weights to remove)`);
  return baselinePlan(method, graph, targets, zerosAtSparsity(graph, targets, level), seed);
}

/** A baseline at the reference masks' exact per-layer zeros (compare). */
export function planAtReference(method: MaskMethod, request: Omit<PlanRequest, 'method'>, reference: MaskSet, referenceThreshold: number): MaskPlan {
  const measured = request.analysis ? labelSetsAt(request.analysis, referenceThreshold) : undefined;
  if (method === 'afcc') return { method, masks: reference, threshold: referenceThreshold, notes: [] };
  return planAtZeros(method, request, kernelZerosOf(request.graph, reference), measured);
}

/**
 * Any mask method but AFCC itself at exactly `zeros` zeros per targeted layer (zeros the kernel
 * already had count): what compare and a per-layer budget allocation plan with. AFCC's sparsity
 * follows from its cluster threshold and cannot be set per layer; its variants can.
 */
export function planAtZeros(method: Exclude<MaskMethod, 'afcc'>, request: Omit<PlanRequest, 'method'>, zeros: Map<string, number>, measured?: LabelSets): MaskPlan {
  if (isAfccVariant(method)) return variantPlan(method, need(request.analysis), request.graph, request.targets, zeros, request.seed);
  const sets = measured ?? (method === 'random-afcc' && request.analysis ? labelSetsAt(request.analysis, request.threshold) : undefined);
  return baselinePlan(method, request.graph, request.targets, zeros, request.seed, sets);
}

function need(analysis: SfpAnalysis | undefined): SfpAnalysis {
  if (!analysis) throw new Error('This method needs the SFP analysis of the model.');
  return analysis;
}

/** The slices (f → o over all kernel positions) a mask keeps, packed for the report. */
function targetDecision(target: PruneTarget, keep: Uint8Array): TargetDecision {
  const { inputs, outputs, spatial } = target;
  const slices = inputs * outputs;
  const kept = new Uint8Array(Math.ceil(slices / 8));
  let slicesKept = 0;
  for (let slice = 0; slice < slices; slice++) {
    let alive = false;
    for (let s = 0; s < spatial && !alive; s++) alive = keep[s * slices + slice] === 1;
    if (alive) {
      kept[slice >> 3]! |= 1 << (slice & 7);
      slicesKept++;
    }
  }
  const unitsOf = (refs: { unit: string }[]): string[] => [...new Set(refs.map((r) => r.unit))];
  return {
    inputUnits: target.inputUnits ? unitsOf(target.inputUnits) : [],
    outputUnits: target.isOutput ? 'classes' : unitsOf(target.outputUnits),
    inputs,
    outputs,
    slicesKept,
    slices: Buffer.from(kept).toString('base64'),
  };
}

/** Why a layer with weights is not a prunable kernel, from the layer registry. */
function whyNotPrunable(graph: ModelGraph, name: string): string | undefined {
  if (graph.targets.some((t) => t.name === name)) return undefined;
  const node = graph.graph.nodes.find((n) => n.id === name);
  if (!node) return undefined;
  const { role, reason } = node.capability;
  if (role === 'unsupported') return reason;
  if (role === 'mixing') return 'the layer is called more than once (shared weights)';
  return `${node.className} keeps channels (${role}): it is pruned with the channels of the kernels around it, not on its own`;
}

/** Report rows for every layer with weights; targeted = its kernel was masked. */
export function prunedLayers(
  model: tf.LayersModel,
  graph: ModelGraph,
  before: Map<string, LayerCounts>,
  after: Map<string, LayerCounts>,
  masks: MaskSet,
  threshold?: number,
): PrunedLayer[] {
  const masked = new Map(masks.map((m) => [m.layer, m]));
  return [...before.keys()]
    .filter((name) => after.has(name))
    .map((name) => {
      const mask = masked.get(name);
      const target = graph.targets.find((t) => t.name === name);
      const whyNot = whyNotPrunable(graph, name);
      return {
        name,
        className: layerById(model, name).getClassName(),
        ...(name.includes('/') ? { path: name.split('/').slice(0, -1) } : {}),
        targeted: mask !== undefined,
        before: before.get(name)!,
        after: after.get(name)!,
        ...(mask && threshold !== undefined ? { threshold } : {}),
        prunable: whyNot === undefined,
        ...(whyNot ? { whyNot } : {}),
        ...(mask && target ? { decision: targetDecision(target, mask.keep) } : {}),
      };
    });
}

/** Zeros over the masked kernels themselves (pre-existing zeros included). */
export function kernelSparsity(model: tf.LayersModel, masks: MaskSet): { perLayer: Record<string, number>; overall: number } {
  const perLayer: Record<string, number> = {};
  let zeros = 0;
  let size = 0;
  for (const m of masks) {
    const layer = layerById(model, m.layer);
    const values = layer.getWeights()[kernelIndexOf(layer)]!.dataSync();
    let z = 0;
    for (let i = 0; i < values.length; i++) if (values[i] === 0) z++;
    perLayer[m.layer] = z / values.length;
    zeros += z;
    size += values.length;
  }
  return { perLayer, overall: size === 0 ? 0 : zeros / size };
}
