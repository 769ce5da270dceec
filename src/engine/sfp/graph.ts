// What SFP analyses and AFCC and the baselines prune, read off the engine's model graph
// (src/engine/graph, METHOD.md §15): the units where channels get their meaning (the SFP cuts,
// named after the mixing layer or merge that starts them) and the prunable kernels with, per
// in-channel and out-channel, the unit channel whose label set judges it. On a VGG chain the
// units are the blocks and every kernel reads the block before it (§3–§7).
import type * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';
import { buildGraph, classifierOf, kernelIndexOf, defaultTargets as graphDefaultTargets, graphUnits, type GraphNode, type GraphUnits, type ModelGraph as EngineGraph, type UnitChannel } from '../graph';

/** A unit: where SFP measures label sets. Named after the node that starts it. */
export interface SfpUnit {
  name: string;
  className: string;
  /** The unit tensor's graph id (the layer whose output SFP reads). */
  cut: string;
  /** Without the batch dimension: [H, W, C] or [C]. */
  cutShape: number[];
  kind: 'conv' | 'dense';
  /** Channels. */
  units: number;
}

/** A unit's channel, the unit named as in SfpUnit.name. */
export type UnitRef = UnitChannel;

/**
 * A kernel AFCC and the baselines can mask, viewed as [S, F, O]: conv [kh, kw, F, O] (S = kh·kw),
 * a Dense after Flatten [S·F, O] with row p·F + f (NHWC, S = H·W), a SeparableConv2D's pointwise
 * kernel [1, 1, F, O].
 */
export interface PruneTarget {
  /** Graph node id (the layer name at the top level; `outer/inner` inside nested models). */
  name: string;
  className: string;
  layer: tf.layers.Layer;
  /** Which of the layer's weights is the mixing kernel (SeparableConv2D: 1, the pointwise). */
  kernelIndex: number;
  kernelShape: number[];
  spatial: number;
  inputs: number;
  outputs: number;
  /** Per in-channel f, the unit channel it carries; null where none does (a model input, a gate branch). */
  inputUnits: UnitRef[] | null;
  /** Per out-channel o, the unit channel it writes (through an Add: the merged unit's). */
  outputUnits: UnitRef[];
  /** The classifier: its out-channels are the classes. */
  isOutput: boolean;
}

export interface ModelGraph {
  graph: EngineGraph;
  /** The graph's units and channel tracing, as modelGraph found them. */
  unitsOfGraph: GraphUnits;
  units: SfpUnit[];
  targets: PruneTarget[];
  output: PruneTarget;
  classes: number;
  /** The unit the classifier reads whole (through Flatten or global pooling): its readout is the classifier itself. */
  outputReads: { unit: string; via: 'flatten' | 'gap' } | null;
  notes: string[];
}

function kernelGeometry(node: GraphNode, kernelIndex: number): { shape: number[]; spatial: number; inputs: number; outputs: number } {
  const shape = node.layer.getWeights()[kernelIndex]!.shape as number[];
  const outputs = shape[shape.length - 1]!;
  const inDim = shape.length === 4 ? shape[2]! : shape[0]!;
  return { shape, spatial: shape.length === 4 ? shape[0]! * shape[1]! : 1, inputs: inDim, outputs };
}

/** Finds the units and the prunable kernels of any model the engine graph accepts. */
export function modelGraph(model: tf.LayersModel): ModelGraph {
  const graph = buildGraph(model);
  const found = graphUnits(graph);
  const notes: string[] = [];
  const unitName = new Map([...found.units].map(([tensor, u]) => [tensor, u.source]));
  const named = (channels: UnitChannel[]): UnitRef[] => channels.map((c) => ({ unit: unitName.get(c.unit)!, channel: c.channel }));
  const units: SfpUnit[] = [...found.units].map(([tensor, u]) => {
    const shape = graph.tensor(tensor).shape.map(Number);
    return { name: u.source, className: graph.node(u.source).className, cut: tensor, cutShape: shape, kind: shape.length === 3 ? 'conv' : 'dense', units: u.channels };
  });
  const classifier = classifierOf(graph);
  const targets: PruneTarget[] = [];
  for (const node of graph.nodes) {
    if (node.capability.role !== 'mixing') continue;
    if (node.shared) {
      notes.push(`${node.id}: the layer is called more than once (shared weights); it is not pruned.`);
      continue;
    }
    const kernelIndex = kernelIndexOf(node.layer);
    const geometry = kernelGeometry(node, kernelIndex);
    let spatial = geometry.spatial;
    let inputs = geometry.inputs;
    const traced = found.inputChannels(node.id);
    let inputUnits: UnitRef[] | null = null;
    if (traced) {
      const rows = named(traced);
      const multiplier = Number((node.layer.getConfig() as Record<string, unknown>)['depthMultiplier'] ?? 1);
      if (node.className === 'SeparableConv2D') {
        // The pointwise kernel reads the depthwise outputs: channel j comes from input channel ⌊j/m⌋.
        inputUnits = Array.from({ length: inputs }, (_, j) => rows[Math.floor(j / multiplier)]!);
      } else if (geometry.shape.length === 2) {
        // A Dense after Flatten reads rows p·F + f of one unit: S = H·W positions of F channels.
        const source = units.find((u) => u.name === rows[0]!.unit)!;
        const channels = source.kind === 'conv' ? source.units : inputs;
        const flattened = channels < inputs && inputs % channels === 0 && rows.every((r, i) => r.unit === rows[0]!.unit && r.channel === i % channels);
        spatial = flattened ? inputs / channels : 1;
        inputs = flattened ? channels : inputs;
        inputUnits = rows.slice(0, inputs);
      } else {
        inputUnits = rows;
      }
    } else if (!found.gateNodes.has(node.id) && graph.tensor(node.inputs[0]!).producer !== null) {
      notes.push(`${node.id}: its in-channels cannot be traced to a unit; AFCC leaves it alone (the baselines can prune it).`);
    }
    targets.push({
      name: node.id,
      className: node.className,
      layer: node.layer,
      kernelIndex,
      kernelShape: geometry.shape,
      spatial,
      inputs,
      outputs: geometry.outputs,
      inputUnits,
      outputUnits: named(found.outputChannels(node.id)),
      isOutput: node === classifier,
    });
  }
  const output = targets.find((t) => t.isOutput);
  if (!output) {
    throw new EngineFailure('unsupported', 'the model\'s output is not computed by a Dense or Conv2D classifier (through at most a Softmax, activations and flattening), so its classes cannot be read');
  }
  return { graph, unitsOfGraph: found, units, targets, output, classes: output.outputs, outputReads: outputReads(output, units), notes };
}

/** The unit the classifier reads whole, and how (all its rows from one unit, in flatten or channel order). */
function outputReads(output: PruneTarget, units: SfpUnit[]): ModelGraph['outputReads'] {
  const rows = output.inputUnits;
  if (!rows || rows.length === 0 || !rows.every((r) => r.unit === rows[0]!.unit)) return null;
  const unit = units.find((u) => u.name === rows[0]!.unit)!;
  if (rows.length !== unit.units) return null;
  return { unit: unit.name, via: output.spatial > 1 || unit.kind === 'dense' ? 'flatten' : 'gap' };
}

/** Units SFP analyses by default: every unit except the classifier's own output. */
export function analysableUnits(graph: ModelGraph): SfpUnit[] {
  return graph.units.filter((u) => u.name !== graph.output.name);
}

export function unitByName(graph: ModelGraph, name: string): SfpUnit {
  const unit = graph.units.find((u) => u.name === name);
  if (!unit) {
    const known = graph.units.map((u) => u.name).join(', ');
    throw new EngineFailure('mismatch', `no SFP unit starts at "${name}" (units: ${known})`);
  }
  if (unit.name === graph.output.name) throw new EngineFailure('mismatch', `${name} is the classifier output; SFP analyses the layers below it`);
  return unit;
}

export function targetByName(graph: ModelGraph, name: string): PruneTarget {
  const target = graph.targets.find((t) => t.name === name);
  if (!target) {
    const known = graph.targets.map((t) => t.name).join(', ');
    throw new EngineFailure('mismatch', `no prunable Conv2D / Dense / SeparableConv2D layer named "${name}" (prunable layers: ${known})`);
  }
  return target;
}

/** A target AFCC can mask: its in-channels carry label sets. */
export function requireLinked(graph: ModelGraph, name: string): PruneTarget {
  const target = targetByName(graph, name);
  if (!target.inputUnits) {
    throw new EngineFailure('mismatch', `${name}: its in-channels do not come from a unit with label sets (a model input or a squeeze-excite branch), so AFCC cannot prune it`);
  }
  return target;
}

/** METHOD.md §15.3's default targets (on a VGG chain §14's conv 4→5, 5→6, 6→output). */
export function defaultTargets(graph: ModelGraph): string[] {
  return graphDefaultTargets(graph.graph, graph.unitsOfGraph).filter((name) => graph.targets.some((t) => t.name === name));
}

/** Units whose label sets the AFCC masks of `targets` need, in graph order. */
export function unitsNeeded(graph: ModelGraph, targets: string[]): string[] {
  const names = new Set<string>();
  for (const name of targets) {
    const target = requireLinked(graph, name);
    target.inputUnits!.forEach((r) => names.add(r.unit));
    if (!target.isOutput) target.outputUnits.forEach((r) => names.add(r.unit));
  }
  return graph.units.filter((u) => names.has(u.name)).map((u) => u.name);
}
