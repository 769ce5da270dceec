// Where channels get their meaning (METHOD.md §15.2) and which unit channel each mixing layer
// reads and writes (§15.3). A unit is the output of a mixing layer or a merge after its
// channel-preserving tail, stopped at a fork, a merge or the first layer that is not
// channel-preserving. Squeeze-excite branches are gates: the trunk passes their Multiply as if
// it were channel-preserving, and the branch's fork off the trunk does not end a tail.
import type { GraphNode, ModelGraph } from './build';

/** One channel of a unit tensor. */
export interface UnitChannel {
  unit: string;
  channel: number;
}

/** A Multiply whose second factor is a [1, 1, C] gate computed from the trunk. */
interface Gate {
  multiply: string;
  trunkInput: number;
  branch: Set<string>;
}

export interface GraphUnits {
  /** Unit tensor ids in topological order, with the node whose output starts each. */
  units: Map<string, { source: string; channels: number }>;
  /** Nodes of squeeze-excite branches (never default targets; their fork does not end a tail). */
  gateNodes: Set<string>;
  /** For each in-channel of a node's first input, the unit channel it carries; null when none (model input). */
  inputChannels(nodeId: string): UnitChannel[] | null;
  /** For each out-channel of a mixing node, the unit channel it writes (through an Add: the merged unit's). */
  outputChannels(nodeId: string): UnitChannel[];
}

const spatialOnes = (shape: readonly (number | null)[]): boolean => shape.length === 3 && shape[0] === 1 && shape[1] === 1;

function findGates(graph: ModelGraph): Gate[] {
  const gates: Gate[] = [];
  for (const node of graph.nodes) {
    if (node.className !== 'Multiply' || node.inputs.length !== 2) continue;
    const shapes = node.inputs.map((t) => graph.tensor(t).shape);
    const gateIndex = shapes.findIndex((s) => spatialOnes(s));
    const trunkIndex = 1 - gateIndex;
    if (gateIndex < 0 || spatialOnes(shapes[trunkIndex]!)) continue;
    // Walk the gate back to the trunk: single-input nodes until a tensor the trunk also derives from.
    const trunkAncestors = ancestors(graph, node.inputs[trunkIndex]!);
    const branch = new Set<string>();
    let tensor = node.inputs[gateIndex]!;
    while (!trunkAncestors.has(tensor)) {
      const producer = graph.tensor(tensor).producer;
      if (producer === null) break;
      const p = graph.node(producer);
      if (p.inputs.length !== 1) break;
      branch.add(p.id);
      tensor = p.inputs[0]!;
    }
    if (trunkAncestors.has(tensor)) gates.push({ multiply: node.id, trunkInput: trunkIndex, branch });
  }
  return gates;
}

/** Tensor ids a tensor is computed from, itself included. */
function ancestors(graph: ModelGraph, tensor: string): Set<string> {
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const producer = graph.tensor(t).producer;
    if (producer !== null) stack.push(...graph.node(producer).inputs);
  }
  return seen;
}

const lastDim = (shape: readonly (number | null)[]): number => Number(shape[shape.length - 1] ?? 0);

export function graphUnits(graph: ModelGraph): GraphUnits {
  const gates = findGates(graph);
  const gateByMultiply = new Map(gates.map((g) => [g.multiply, g]));
  const gateNodes = new Set(gates.flatMap((g) => [...g.branch]));
  const trunkConsumers = (tensor: string): GraphNode[] =>
    graph.tensor(tensor).consumers.filter((c) => !gateNodes.has(c)).map((c) => graph.node(c));
  /** Whether a node passes channel c of `input` straight through as channel c (possibly ×m). */
  const preserves = (node: GraphNode, input: string): boolean => {
    if (gateNodes.has(node.id)) return false;
    const gate = gateByMultiply.get(node.id);
    if (gate) return node.inputs[gate.trunkInput] === input;
    return node.capability.role === 'channel-preserving' && (node.capability.depthMultiplier ?? 1) === 1;
  };

  const units = new Map<string, { source: string; channels: number }>();
  const tailEnd = (start: string): string => {
    let tensor = start;
    for (;;) {
      const next = trunkConsumers(tensor);
      if (next.length !== 1 || !preserves(next[0]!, tensor)) return tensor;
      tensor = next[0]!.outputs[0]!;
    }
  };
  for (const node of graph.nodes) {
    const role = node.capability.role;
    if (gateNodes.has(node.id) || gateByMultiply.has(node.id)) continue;
    const startsUnit = role === 'mixing' || role === 'merge' || (node.capability.depthMultiplier ?? 1) > 1;
    if (!startsUnit) continue;
    const unit = tailEnd(node.outputs[0]!);
    units.set(unit, { source: node.id, channels: lastDim(graph.tensor(unit).shape) });
  }

  /** Channel c of `tensor` traced back to the unit that names it. */
  const traceBack = (tensor: string, channel: number): UnitChannel | null => {
    for (;;) {
      if (units.has(tensor)) return { unit: tensor, channel };
      const producer = graph.tensor(tensor).producer;
      if (producer === null) return null;
      const node = graph.node(producer);
      const gate = gateByMultiply.get(node.id);
      if (gate) {
        tensor = node.inputs[gate.trunkInput]!;
      } else if (node.capability.role === 'channel-preserving') {
        channel = Math.floor(channel / (node.capability.depthMultiplier ?? 1));
        tensor = node.inputs[0]!;
      } else if (node.capability.role === 'flatten') {
        tensor = node.inputs[0]!;
        channel %= lastDim(graph.tensor(tensor).shape);
      } else if (node.className === 'Concatenate') {
        let offset = channel;
        const input = node.inputs.find((t) => {
          const width = lastDim(graph.tensor(t).shape);
          if (offset < width) return true;
          offset -= width;
          return false;
        })!;
        tensor = input;
        channel = offset;
      } else {
        return null;
      }
    }
  };

  return {
    units,
    gateNodes,
    inputChannels(nodeId) {
      const input = graph.node(nodeId).inputs[0]!;
      const shape = graph.tensor(input).shape;
      const width = shape.length === 1 ? Number(shape[0]) : lastDim(shape);
      const channels: UnitChannel[] = [];
      for (let c = 0; c < width; c++) {
        const traced = traceBack(input, c);
        if (!traced) return null;
        channels.push(traced);
      }
      return channels;
    },
    outputChannels(nodeId) {
      const node = graph.node(nodeId);
      let unit = tailEnd(node.outputs[0]!);
      const width = lastDim(graph.tensor(node.outputs[0]!).shape);
      let offsets = Array.from({ length: width }, (_, o) => o);
      // Into an Add (or Concatenate), out-channel o is the merged unit's channel (o, or offset + o).
      for (;;) {
        const next = trunkConsumers(unit);
        const merge = next.length === 1 && next[0]!.capability.role === 'merge' && !gateByMultiply.has(next[0]!.id) ? next[0]! : null;
        if (!merge) break;
        if (merge.className === 'Concatenate') {
          const at = merge.inputs.indexOf(unit);
          const offset = merge.inputs.slice(0, at).reduce((a, t) => a + lastDim(graph.tensor(t).shape), 0);
          offsets = offsets.map((o) => o + offset);
        }
        unit = tailEnd(merge.outputs[0]!);
      }
      return offsets.map((channel) => ({ unit, channel }));
    },
  };
}
