// AFCC masks (METHOD.md §7): a connection from producer unit f to consumer unit o is kept iff their
// label sets meet. For the classifier output the consumer's label set is {c}, so this is the
// "c ∈ L(f)" rule of §7.1; conv→conv is §7.2; dense→dense is single nodal performance (§7.3).
import type { KernelMask, MaskSet } from '../graph/masks';
import type { KernelBlock, ModelGraph } from '../sfp/graph';

/** Label sets per analysed block: labelSets.get(block)[unit] = L(unit), ascending. */
export type LabelSets = Map<string, number[][]>;

/**
 * The consumer kernel viewed as [S, F, O] in TF.js layout: conv [kh, kw, F, O] (S = kh·kw) and
 * dense [S·F, O] with row p·F + f (NHWC flatten, S = H·W; S = 1 after dense or global pooling).
 */
export interface KernelGeometry {
  shape: number[];
  spatial: number;
  inputs: number;
  outputs: number;
}

export function kernelGeometry(block: KernelBlock, producerUnits: number): KernelGeometry {
  const shape = block.layer.getWeights()[0].shape as number[];
  const outputs = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  const spatial = size / (producerUnits * outputs);
  if (!Number.isInteger(spatial)) throw new Error(`${block.name}: kernel [${shape}] does not match ${producerUnits} input units.`);
  return { shape, spatial, inputs: producerUnits, outputs };
}

/** Expands a unit-to-unit table keep[f·O + o] to a mask over the whole kernel. */
export function expandConnections(layer: string, geometry: KernelGeometry, table: Uint8Array): KernelMask {
  const { spatial, inputs, outputs, shape } = geometry;
  const block = inputs * outputs;
  const keep = new Uint8Array(spatial * block);
  for (let s = 0; s < spatial; s++) keep.set(table, s * block);
  return { layer, shape, keep };
}

function intersects(a: number[], b: number[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++;
    else j++;
  }
  return false;
}

/** The producer → consumer connection table for one targeted consumer kernel. */
export function afccTable(producerSets: number[][], consumerSets: number[][]): Uint8Array {
  const outputs = consumerSets.length;
  const table = new Uint8Array(producerSets.length * outputs);
  producerSets.forEach((lf, f) => {
    consumerSets.forEach((lo, o) => {
      if (intersects(lf, lo)) table[f * outputs + o] = 1;
    });
  });
  return table;
}

/** Label sets a consumer kernel is judged by: its own units' sets, or {c} at the output. */
export function consumerLabelSets(graph: ModelGraph, consumer: KernelBlock, labelSets: LabelSets): number[][] {
  if (consumer.isOutput) return Array.from({ length: graph.classes }, (_, c) => [c]);
  const sets = labelSets.get(consumer.name);
  if (!sets) throw new Error(`${consumer.name}: no SFP label sets (analyse this layer first).`);
  return sets;
}

/** AFCC masks on the kernels of the named consumer layers. */
export function afccMasks(graph: ModelGraph, labelSets: LabelSets, consumers: string[]): MaskSet {
  return consumers.map((name) => {
    const consumer = requireLinked(graph, name);
    const producerSets = labelSets.get(consumer.producer!);
    if (!producerSets) throw new Error(`${consumer.producer}: no SFP label sets (analyse this layer first).`);
    const table = afccTable(producerSets, consumerLabelSets(graph, consumer, labelSets));
    return expandConnections(name, kernelGeometry(consumer, producerSets.length), table);
  });
}

/** A targeted layer must have a producer block whose units map onto its input axis. */
export function requireLinked(graph: ModelGraph, name: string): KernelBlock {
  const block = graph.blocks.find((b) => b.name === name);
  if (!block) throw new Error(`No Conv2D/Dense layer named "${name}" (kernel layers: ${graph.blocks.map((b) => b.name).join(', ')}).`);
  if (!block.producer || !block.link) {
    throw new Error(`${name}: its inputs do not come from a Conv2D/Dense block through a plain chain, so AFCC cannot prune it.`);
  }
  return block;
}

/**
 * Default targets (METHOD.md §14): the last two conv→conv (or dense→dense) connections and the
 * connection into the output — the consumer kernels of the three deepest linked kernel layers.
 */
export function defaultTargets(graph: ModelGraph): string[] {
  return graph.blocks.filter((b) => b.producer && b.link).slice(-3).map((b) => b.name);
}

/** Blocks whose label sets the masks of `consumers` need (producers, and hidden consumers). */
export function blocksNeeded(graph: ModelGraph, consumers: string[]): string[] {
  const names = new Set<string>();
  for (const name of consumers) {
    const block = requireLinked(graph, name);
    names.add(block.producer!);
    if (!block.isOutput) names.add(block.name);
  }
  return graph.blocks.filter((b) => names.has(b.name)).map((b) => b.name);
}

export function maskZeros(mask: KernelMask): number {
  let zeros = 0;
  for (let k = 0; k < mask.keep.length; k++) if (mask.keep[k] === 0) zeros++;
  return zeros;
}

export function maskSparsity(masks: MaskSet): number {
  const size = masks.reduce((a, m) => a + m.keep.length, 0);
  return size === 0 ? 0 : masks.reduce((a, m) => a + maskZeros(m), 0) / size;
}
