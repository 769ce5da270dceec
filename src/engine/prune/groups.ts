// Channel groups for structured removal on graphs (METHOD.md §15.5, the dependency graph of
// Torch-Pruning): channels that can only be removed together. Every tensor channel is joined to
// the channels a layer maps it onto — channel-preserving layers c → c, a depthwise multiplier m
// c → c·m … c·m+m−1, aligned merges (Add, Multiply, the squeeze-excite gate) input c → output c,
// Concatenate input c → output offset + c, Flatten/global pooling c → the vector rows of c — so a
// group runs from the mixing layers that write it (its writers) to the mixing layers that read it
// (its readers). A group touching a model input or output, a shared layer or a layer with no
// channel rule is pinned: it is never removed.
import type { GraphNode, ModelGraph } from '../graph';

/** How a tensor's last axis holds channels: index p·channels + c is channel c (p > 0 after Flatten). */
export interface ChannelLayout {
  channels: number;
  positions: number;
}

/** A mixing layer writing out-channel `channel` of its output into the group. */
export interface GroupWriter {
  node: string;
  channel: number;
}

/** A mixing layer reading channel `channel` of `tensor` (rows p·C + channel of its kernel). */
export interface GroupReader {
  node: string;
  tensor: string;
  channel: number;
}

export interface ChannelGroup {
  id: number;
  members: { tensor: string; channel: number }[];
  writers: GroupWriter[];
  readers: GroupReader[];
  /** Why the group can never be removed; null when it may be. */
  pinned: string | null;
}

export interface ChannelGroups {
  layouts: Map<string, ChannelLayout>;
  groups: ChannelGroup[];
  groupOf(tensor: string, channel: number): ChannelGroup;
}

/** Weighted channel-preserving layers whose weights structured removal knows how to slice. */
const SLICED_CLASSES = new Set(['BatchNormalization', 'DepthwiseConv2D', 'PReLU']);
const GLOBAL_POOLS = new Set(['GlobalAveragePooling2D', 'GlobalMaxPooling2D']);

const lastDim = (shape: readonly (number | null)[]): number => Number(shape[shape.length - 1] ?? 0);

/** Why a node's channels cannot be followed, or null when its channel rule applies. */
function pinReason(node: GraphNode): string | null {
  const config = node.layer.getConfig() as Record<string, unknown>;
  const role = node.capability.role;
  if (node.shared) return `${node.id} is called more than once (its weights are shared)`;
  if (role === 'unsupported') return `${node.id} (${node.className}): ${node.capability.reason ?? 'no channel rule'}`;
  if (role === 'softmax' || (role !== 'mixing' && config['activation'] === 'softmax')) return `${node.id} applies a softmax across its channels`;
  if (Number(config['groups'] ?? 1) > 1) return `${node.id} is a grouped convolution`;
  if (node.className === 'BatchNormalization' && ![-1, 3].includes(Number(config['axis'] ?? -1))) return `${node.id} normalises an axis other than the channels`;
  if (node.className === 'Rescaling' && (typeof (config['scale'] ?? 1) !== 'number' || typeof (config['offset'] ?? 0) !== 'number')) {
    return `${node.id} rescales each channel by its own factor`;
  }
  if (role === 'channel-preserving' && node.layer.weights.length > 0 && !SLICED_CLASSES.has(node.className)) {
    return `${node.id} (${node.className}) has weights structured removal cannot slice`;
  }
  return null;
}

export function channelGroups(graph: ModelGraph): ChannelGroups {
  const layouts = new Map<string, ChannelLayout>();
  const base = new Map<string, number>();
  const parent: number[] = [];
  const pins = new Map<number, string>();
  const setLayout = (tensor: string, layout: ChannelLayout): void => {
    layouts.set(tensor, layout);
    base.set(tensor, parent.length);
    for (let c = 0; c < layout.channels; c++) parent.push(parent.length);
  };
  const element = (tensor: string, channel: number): number => base.get(tensor)! + channel;
  const find = (e: number): number => {
    while (parent[e] !== e) {
      parent[e] = parent[parent[e]!]!;
      e = parent[e]!;
    }
    return e;
  };
  const join = (a: number, b: number): void => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const pin = (tensor: string, reason: string): void => {
    for (let c = 0; c < layouts.get(tensor)!.channels; c++) {
      const e = element(tensor, c);
      if (!pins.has(e)) pins.set(e, reason);
    }
  };
  const own = (tensor: string): ChannelLayout => ({ channels: lastDim(graph.tensor(tensor).shape), positions: 1 });

  for (const input of graph.inputs) {
    setLayout(input, own(input));
    pin(input, `it is computed from the model input ${input.replace(/^input:/, '')}`);
  }
  for (const node of graph.nodes) {
    const out = node.outputs[0]!;
    const ins = node.inputs.map((t) => ({ tensor: t, layout: layouts.get(t)! }));
    const outWidth = lastDim(graph.tensor(out).shape);
    const first = ins[0]?.layout;
    let reason = pinReason(node);
    const role = node.capability.role;
    // A mixing layer's softmax couples the channels it writes, not those it reads.
    const softmaxOut = reason === null && role === 'mixing' && (node.layer.getConfig() as Record<string, unknown>)['activation'] === 'softmax';
    const multiplier = node.capability.depthMultiplier ?? 1;
    let layout: ChannelLayout = own(out);
    /** Output channel of each input channel (per input), when the node maps channels one to one. */
    let maps: ((c: number) => number[])[] | null = null;
    if (reason === null && first) {
      if (role === 'mixing') {
        maps = [];
      } else if (role === 'channel-preserving' && multiplier > 1) {
        if (first.positions === 1) {
          layout = { channels: first.channels * multiplier, positions: 1 };
          maps = [(c) => Array.from({ length: multiplier }, (_, j) => c * multiplier + j)];
        }
      } else if (role === 'channel-preserving' || (role === 'flatten' && GLOBAL_POOLS.has(node.className))) {
        if (outWidth === first.channels * first.positions) {
          layout = first;
          maps = [(c) => [c]];
        }
      } else if (role === 'flatten') {
        if (outWidth % first.channels === 0) {
          layout = { channels: first.channels, positions: outWidth / first.channels };
          maps = [(c) => [c]];
        }
      } else if (role === 'merge' && node.className === 'Concatenate') {
        if (ins.every((i) => i.layout.positions === 1)) {
          const offsets = ins.map((_, k) => ins.slice(0, k).reduce((a, i) => a + i.layout.channels, 0));
          layout = { channels: outWidth, positions: 1 };
          maps = offsets.map((offset) => (c: number) => [offset + c]);
        }
      } else if (role === 'merge') {
        if (ins.every((i) => i.layout.channels === first.channels && i.layout.positions === first.positions) && outWidth === first.channels * first.positions) {
          layout = first;
          maps = ins.map(() => (c: number) => [c]);
        }
      }
      if (maps === null) reason = `${node.id} (${node.className}) maps channels in a way structured removal does not follow`;
    }
    setLayout(out, layout);
    if (reason !== null) {
      for (const input of ins) pin(input.tensor, reason);
      pin(out, reason);
      continue;
    }
    if (softmaxOut) pin(out, `${node.id} applies a softmax across its channels`);
    maps!.forEach((map, k) => {
      const input = ins[k]!;
      for (let c = 0; c < input.layout.channels; c++) for (const o of map(c)) join(element(input.tensor, c), element(out, o));
    });
  }
  for (const output of graph.outputs) pin(output, `it reaches the model output ${output}`);

  const byRoot = new Map<number, ChannelGroup>();
  const groupAt = (tensor: string, channel: number): ChannelGroup => {
    const root = find(element(tensor, channel));
    let group = byRoot.get(root);
    if (!group) {
      group = { id: byRoot.size, members: [], writers: [], readers: [], pinned: null };
      byRoot.set(root, group);
    }
    return group;
  };
  for (const [tensor, layout] of layouts) {
    for (let c = 0; c < layout.channels; c++) {
      const group = groupAt(tensor, c);
      group.members.push({ tensor, channel: c });
      group.pinned ??= pins.get(element(tensor, c)) ?? null;
    }
  }
  for (const node of graph.nodes) {
    if (node.capability.role !== 'mixing') continue;
    const out = node.outputs[0]!;
    for (let o = 0; o < layouts.get(out)!.channels; o++) groupAt(out, o).writers.push({ node: node.id, channel: o });
    const input = node.inputs[0]!;
    for (let c = 0; c < layouts.get(input)!.channels; c++) groupAt(input, c).readers.push({ node: node.id, tensor: input, channel: c });
  }
  return {
    layouts,
    groups: [...byRoot.values()],
    groupOf: groupAt,
  };
}

/** Indices along a tensor's last axis of the kept channels (every position p: p·C + c). */
export function keptIndices(layout: ChannelLayout, kept: readonly number[]): number[] {
  const indices: number[] = [];
  for (let p = 0; p < layout.positions; p++) for (const c of kept) indices.push(p * layout.channels + c);
  return indices;
}
