// Structured removal on graphs (METHOD.md §15.5): channel groups (./groups.ts) that can no longer
// affect the output are removed physically, giving a model of the same topology with fewer
// parameters and MACs that computes what the masked one computes. A group is removable when
//   - every mixing layer reading it has a zero slice for it (nothing leaves it), or
//   - every mixing layer writing it has a zero slice for it, and the constant the group then
//     carries (bias → activation → BatchNorm → … → merges) reaches each reader where a bias can
//     stand for it: it is folded into the reader's bias (or into the moving mean of the
//     BatchNorm right after a bias-free reader, or a bias is added).
// Channels the caller names (AFCC's empty label sets, sfp-filters' losers) have had their readers'
// slices zeroed by the masks; one that some layer still reads stays, with the reason, rather than
// change what the model computes. Every tensor keeps at least one channel. Groups that stay
// although part of them is dead come back with the reason.
import type * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';
import { buildGraph, type GraphNode, type ModelGraph } from '../graph';
import { deadConstants } from './deadConstants';
import { channelGroups, keptIndices, type ChannelGroup, type ChannelGroups } from './groups';
import { constantResponse, readLayerWeights, readsZero, seesEveryTap, writesZero, type LayerWeights } from './kernelSlices';
import { narrowModel } from './narrowModel';

export interface RemovedFilters {
  /** Graph id of the mixing layer (nested model names, then the layer's). */
  layer: string;
  before: number;
  after: number;
  /** Indices (in the original layer) of the filters removed. */
  removed: number[];
}

/** A channel group that stays although part of it is dead, named by its first writer's channel. */
export interface KeptChannel {
  layer: string;
  channel: number;
  reason: string;
}

export interface StructuredResult {
  model: tf.LayersModel;
  layers: RemovedFilters[];
  kept: KeptChannel[];
}

/** A constant `value` on reader rows, to be added to the reader's outputs. */
interface Fold {
  node: string;
  rows: number[];
  value: number;
}

type Verdict = { remove: true; folds: Fold[] } | { remove: false; reason: string | null };

const list = (names: string[]): string => [...new Set(names)].join(', ');
const verb = (names: string[], word: string): string => (new Set(names).size === 1 ? `${word}s` : word);

function readerRows(groups: ChannelGroups, reader: ChannelGroup['readers'][number]): number[] {
  return keptIndices(groups.layouts.get(reader.tensor)!, [reader.channel]);
}

/** Whether `group` can go, and how; `constants` is computed on first need. */
function judge(graph: ModelGraph, groups: ChannelGroups, group: ChannelGroup, named: boolean, weights: (id: string) => LayerWeights, constants: () => Map<string, Float64Array>): Verdict {
  const readsNothing = group.readers.map((r) => readsZero(weights(r.node), readerRows(groups, r)));
  const writesNothing = group.writers.map((w) => writesZero(weights(w.node), w.channel));
  // Named per layer: a layer reading part of the group (one of a depthwise multiplier's channels) still reads it.
  const liveWriters = group.writers.filter((_, i) => !writesNothing[i]).map((w) => w.node);
  const liveReaders = group.readers.filter((_, i) => !readsNothing[i]).map((r) => r.node);
  const deadWriters = group.writers.map((w) => w.node).filter((id) => !liveWriters.includes(id));
  const deadReaders = group.readers.map((r) => r.node).filter((id) => !liveReaders.includes(id));
  const dead = [
    ...(named ? ['it is named for removal'] : []),
    ...(deadWriters.length > 0 ? [`${list(deadWriters)} ${verb(deadWriters, 'write')} zeros into it`] : []),
    ...(deadReaders.length > 0 ? [`${list(deadReaders)} ${verb(deadReaders, 'read')} nothing of it`] : []),
  ].join(' and ');
  if (group.pinned !== null) return { remove: false, reason: dead ? `${dead}, but ${group.pinned}` : null };
  if (readsNothing.every(Boolean)) return { remove: true, folds: [] };
  if (group.writers.length === 0 || liveWriters.length > 0) {
    if (!dead) return { remove: false, reason: null };
    const live = [
      ...(liveWriters.length > 0 ? [`${list(liveWriters)} still ${verb(liveWriters, 'write')} it`] : []),
      `${list(liveReaders)} still ${verb(liveReaders, 'read')} it`,
    ].join(' and ');
    return { remove: false, reason: `${dead}, but ${live}` };
  }
  const folds: Fold[] = [];
  for (const reader of group.readers) {
    const value = constants().get(reader.tensor)![reader.channel]!;
    if (Number.isNaN(value)) {
      return { remove: false, reason: `${dead}, but what it carries into ${reader.node} is not a constant (zero padding or a padded depthwise kernel on the way)` };
    }
    if (value === 0) continue;
    if (!seesEveryTap(graph.node(reader.node).layer)) {
      return { remove: false, reason: `${dead}, but ${reader.node} reads the constant ${value.toPrecision(4)} it then carries through 'same' padding, which no bias can stand for` };
    }
    folds.push({ node: reader.node, rows: readerRows(groups, reader), value });
  }
  return { remove: true, folds };
}

/**
 * Groups the caller names by (node, channel of its output): a mixing layer's filter, or the channel
 * of a unit named after the merge that starts it. Unknown nodes or channels are refused.
 */
function namedGroups(graph: ModelGraph, groups: ChannelGroups, remove: Record<string, number[]>): Set<ChannelGroup> {
  const named = new Set<ChannelGroup>();
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const unknown = Object.keys(remove).filter((id) => !nodes.has(id));
  if (unknown.length > 0) throw new EngineFailure('mismatch', `cannot remove filters of ${unknown.join(', ')}: the model has no such layer`);
  for (const [id, filters] of Object.entries(remove)) {
    const out = nodes.get(id)!.outputs[0]!;
    const width = groups.layouts.get(out)!.channels;
    const outside = filters.filter((f) => !(Number.isInteger(f) && f >= 0 && f < width));
    if (outside.length > 0) throw new EngineFailure('mismatch', `cannot remove filters ${outside.join(', ')} of ${id}: it has ${width}`);
    for (const f of filters) named.add(groups.groupOf(out, f));
  }
  return named;
}

/** Adds each fold's constant to its reader's outputs: bias, else the next BatchNorm's mean, else a new bias. */
function applyFolds(graph: ModelGraph, folds: Fold[], weights: (id: string) => LayerWeights): Set<string> {
  const biasAdded = new Set<string>();
  const byNode = new Map<string, Float64Array>();
  for (const fold of folds) {
    const response = constantResponse(weights(fold.node), fold.rows);
    const delta = byNode.get(fold.node) ?? new Float64Array(response.length);
    response.forEach((r, o) => (delta[o] += fold.value * r));
    byNode.set(fold.node, delta);
  }
  for (const [id, delta] of byNode) {
    const own = weights(id);
    const bias = own.get('bias');
    if (bias) {
      delta.forEach((d, o) => (bias.values[o] += d));
      continue;
    }
    const next = followingBatchNorm(graph, graph.node(id));
    if (next) {
      const mean = weights(next.id).get('moving_mean')!;
      delta.forEach((d, o) => (mean.values[o] -= d));
      continue;
    }
    own.set('bias', { values: Float32Array.from(delta), shape: [delta.length] });
    biasAdded.add(id);
  }
  return biasAdded;
}

/** The BatchNorm a bias-free linear layer feeds alone, whose moving mean can absorb a constant. */
function followingBatchNorm(graph: ModelGraph, node: GraphNode): GraphNode | null {
  const config = node.layer.getConfig() as Record<string, unknown>;
  if ((config['activation'] ?? 'linear') !== 'linear') return null;
  const consumers = graph.tensor(node.outputs[0]!).consumers;
  if (consumers.length !== 1) return null;
  const next = graph.node(consumers[0]!);
  const hasMean = next.layer.weights.some((w) => w.originalName.endsWith('moving_mean'));
  return next.className === 'BatchNormalization' && !next.shared && hasMean ? next : null;
}

export async function removeDeadFilters(
  model: tf.LayersModel,
  options: { remove?: Record<string, number[]> } = {},
): Promise<StructuredResult> {
  const graph = buildGraph(model);
  const groups = channelGroups(graph);
  const cache = new Map<string, LayerWeights>();
  const weights = (id: string): LayerWeights => {
    if (!cache.has(id)) cache.set(id, readLayerWeights(graph.node(id).layer));
    return cache.get(id)!;
  };
  let constants: Map<string, Float64Array> | undefined;
  const named = namedGroups(graph, groups, options.remove ?? {});
  const removed = new Map<ChannelGroup, Fold[]>();
  const kept: KeptChannel[] = [];
  for (const group of groups.groups) {
    const verdict = judge(graph, groups, group, named.has(group), weights, () => (constants ??= deadConstants(graph, groups, weights)));
    if (verdict.remove) removed.set(group, verdict.folds);
    else if (verdict.reason !== null) kept.push({ ...groupName(group), reason: verdict.reason });
  }
  // A tensor needs at least one channel: its first group stays.
  for (const [tensor, layout] of groups.layouts) {
    const all = Array.from({ length: layout.channels }, (_, c) => groups.groupOf(tensor, c));
    if (all.length > 0 && all.every((g) => removed.has(g))) {
      removed.delete(all[0]!);
      kept.push({ ...groupName(all[0]!), reason: `${tensor} needs at least one channel` });
    }
  }
  const biasAdded = applyFolds(graph, [...removed.values()].flat(), weights);
  const keptChannels = new Map(
    [...groups.layouts].map(([tensor, layout]) => [tensor, Array.from({ length: layout.channels }, (_, c) => c).filter((c) => !removed.has(groups.groupOf(tensor, c)))]),
  );
  const layers: RemovedFilters[] = [];
  for (const node of graph.nodes) {
    if (node.capability.role !== 'mixing') continue;
    const out = node.outputs[0]!;
    const before = groups.layouts.get(out)!.channels;
    const stays = new Set(keptChannels.get(out)!);
    if (stays.size < before) {
      layers.push({ layer: node.id, before, after: stays.size, removed: Array.from({ length: before }, (_, c) => c).filter((c) => !stays.has(c)) });
    }
  }
  const narrow = await narrowModel(model, graph, groups, { kept: keptChannels, weights, biasAdded });
  return { model: narrow, layers, kept };
}

function groupName(group: ChannelGroup): { layer: string; channel: number } {
  const writer = group.writers[0];
  if (writer) return { layer: writer.node, channel: writer.channel };
  const member = group.members[0]!;
  return { layer: member.tensor, channel: member.channel };
}
