// Which mixing layers AFCC and the baselines prune by default (METHOD.md §15.3), and the
// classifier whose output units are the classes (§15.1).
import type { GraphNode, ModelGraph } from './build';
import type { GraphUnits } from './units';

/**
 * The last mixing layer before the output: walked back from the model's output through a Softmax
 * layer, activations and flattening/global pooling (a 1×1 conv + GAP head counts). Null when the
 * output is not computed by one.
 */
export function classifierOf(graph: ModelGraph): GraphNode | null {
  if (graph.outputs.length !== 1) return null;
  let tensor = graph.outputs[0]!;
  for (;;) {
    const producer = graph.tensor(tensor).producer;
    if (producer === null) return null;
    const node = graph.node(producer);
    const role = node.capability.role;
    if (role === 'mixing') return node;
    if (role !== 'softmax' && role !== 'channel-preserving' && role !== 'flatten') return null;
    if ((node.capability.depthMultiplier ?? 1) !== 1 || node.inputs.length !== 1) return null;
    tensor = node.inputs[0]!;
  }
}

/** Longest path (in nodes) from a model input to each tensor. */
function depths(graph: ModelGraph): Map<string, number> {
  const depth = new Map<string, number>(graph.inputs.map((t) => [t, 0]));
  for (const node of graph.nodes) {
    const d = 1 + Math.max(0, ...node.inputs.map((t) => depth.get(t) ?? 0));
    for (const t of node.outputs) depth.set(t, d);
  }
  return depth;
}

/**
 * Default targets: the mixing layers outside squeeze-excite branches whose input unit lies in the
 * deepest third of the units by graph depth — at least the three deepest such layers, which on a
 * VGG chain is METHOD.md §14's conv 4→5, 5→6, 6→output — plus the classifier.
 */
export function defaultTargets(graph: ModelGraph, units: GraphUnits): string[] {
  const classifier = classifierOf(graph);
  const depth = depths(graph);
  const candidates = graph.nodes
    .filter((n) => n.capability.role === 'mixing' && !units.gateNodes.has(n.id) && !n.shared)
    .map((n) => ({ node: n, inputs: units.inputChannels(n.id) }))
    .filter((c): c is { node: GraphNode; inputs: NonNullable<typeof c.inputs> } => c.inputs !== null)
    .map(({ node, inputs }) => ({ node, depth: Math.max(...inputs.map((ch) => depth.get(ch.unit) ?? 0)) }));
  const unitDepths = [...units.units.keys()]
    .filter((t) => t !== classifier?.outputs[0])
    .map((t) => depth.get(t) ?? 0)
    .sort((a, b) => b - a);
  const cut = unitDepths[Math.max(0, Math.ceil(unitDepths.length / 3) - 1)] ?? 0;
  const byDepth = [...candidates].sort((a, b) => b.depth - a.depth);
  const chosen = new Set(byDepth.filter((c, i) => c.depth >= cut || i < 3).map((c) => c.node.id));
  if (classifier) chosen.add(classifier.id);
  return graph.nodes.filter((n) => chosen.has(n.id)).map((n) => n.id);
}
