// Which layers of a model SFP can analyse and AFCC can prune: the kernel layers (Conv2D, Dense),
// the cut point of each block (after its BatchNorm, activation and pooling, METHOD.md §3) and how
// one block's units feed the next kernel (conv→conv, conv→Flatten→Dense, dense→dense).
import type * as tf from '@tensorflow/tfjs';

type Layer = tf.layers.Layer;

/** Layers that belong to the block of the kernel layer before them. */
const BLOCK_TAIL = new Set([
  'BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'ThresholdedReLU',
  'MaxPooling2D', 'AveragePooling2D', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
]);
/** Layers between a block's cut and the next kernel that keep the unit ↔ input mapping known. */
const CONNECTORS = new Set(['Flatten', 'GlobalAveragePooling2D', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/**
 * How the producer's units reach the consumer kernel's input axis. The consumer kernel is viewed
 * as [S, F, O] (conv: S = kh·kw, input channel f; dense after Flatten: S = H·W positions, row
 * p·F + f in NHWC flatten order; dense after dense or global pooling: S = 1).
 */
export type LinkKind = 'conv-conv' | 'conv-flatten-dense' | 'conv-gap-dense' | 'dense-dense';

export interface KernelBlock {
  /** Name of the Conv2D / Dense layer that owns the kernel. */
  name: string;
  className: string;
  kind: 'conv' | 'dense';
  layer: Layer;
  /** Last layer of the block: features for the readout are this layer's output. */
  cut: Layer;
  /** Cut output without the batch dimension: [H, W, F] or [F]. */
  cutShape: number[];
  units: number;
  /** The kernel block feeding this kernel's input, and how; null when none can be identified. */
  producer: string | null;
  link: LinkKind | null;
  /** True for the classifier's output layer. */
  isOutput: boolean;
  /** The next kernel block after this one's cut, when the path is a plain chain. */
  consumer: string | null;
}

export interface ModelGraph {
  blocks: KernelBlock[];
  output: KernelBlock;
  classes: number;
  notes: string[];
}

function consumersOf(layer: Layer, inModel: Set<Layer>): Layer[] {
  const out: Layer[] = [];
  for (const node of layer.outboundNodes) {
    const next = node.outboundLayer;
    if (inModel.has(next) && !out.includes(next)) out.push(next);
  }
  return out;
}

function shapeOf(layer: Layer): number[] {
  const shape = layer.outputShape;
  const single = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  return single.slice(1).map((d) => d ?? -1);
}

/** Finds the kernel blocks of a Sequential or simple Functional classifier. */
export function modelGraph(model: tf.LayersModel): ModelGraph {
  const inModel = new Set<Layer>(model.layers);
  const notes: string[] = [];
  const blocks: KernelBlock[] = [];
  const byLayer = new Map<Layer, KernelBlock>();
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className !== 'Conv2D' && className !== 'Dense') {
      if (/Conv|Dense/.test(className)) notes.push(`${layer.name} (${className}): not analysable, only Conv2D and Dense kernels are.`);
      continue;
    }
    const config = layer.getConfig() as { dataFormat?: string; dilationRate?: number | number[]; groups?: number };
    if (className === 'Conv2D' && config.dataFormat === 'channelsFirst') {
      notes.push(`${layer.name}: channels-first convolutions are not analysable (NHWC only).`);
      continue;
    }
    let cut = layer;
    for (;;) {
      const next = consumersOf(cut, inModel);
      if (next.length !== 1 || !BLOCK_TAIL.has(next[0].getClassName())) break;
      cut = next[0];
    }
    const cutShape = shapeOf(cut);
    const kind = className === 'Conv2D' ? 'conv' : 'dense';
    if ((kind === 'conv' && cutShape.length !== 3) || (kind === 'dense' && cutShape.length !== 1)) {
      notes.push(`${layer.name}: output of rank ${cutShape.length + 1} is not analysable.`);
      continue;
    }
    const block: KernelBlock = {
      name: layer.name, className, kind, layer, cut, cutShape,
      units: cutShape[cutShape.length - 1],
      producer: null, link: null, isOutput: false, consumer: null,
    };
    blocks.push(block);
    byLayer.set(layer, block);
  }
  for (const block of blocks) linkConsumer(block, byLayer, inModel, notes);
  const outputLayers = model.outputs.map((t) => t.sourceLayer);
  const output = [...blocks].reverse().find((b) => b.kind === 'dense' && (outputLayers.includes(b.cut) || outputLayers.includes(b.layer)));
  if (!output) throw new Error('The model has no Dense output layer at the end of its classifier path.');
  output.isOutput = true;
  return { blocks, output, classes: output.units, notes };
}

function linkConsumer(block: KernelBlock, byLayer: Map<Layer, KernelBlock>, inModel: Set<Layer>, notes: string[]): void {
  let cur = block.cut;
  let through: 'none' | 'flatten' | 'gap' = 'none';
  for (;;) {
    const next = consumersOf(cur, inModel);
    if (next.length === 0) return;
    if (next.length > 1) {
      notes.push(`${block.name}: its output branches; connections out of it are not pruned.`);
      return;
    }
    const layer = next[0];
    const consumer = byLayer.get(layer);
    if (consumer) {
      const link = linkKind(block.kind, consumer.kind, through);
      const inputs = (consumer.layer.getWeights()[0]?.shape ?? []) as number[];
      const fanIn = consumer.kind === 'conv' ? inputs[2] : inputs[0];
      const expected = link === 'conv-flatten-dense' ? block.cutShape.reduce((a, b) => a * b, 1) : block.units;
      if (!link || fanIn !== expected) {
        notes.push(`${block.name} → ${consumer.name}: the input mapping is not a plain chain; not pruned.`);
        return;
      }
      block.consumer = consumer.name;
      consumer.producer = block.name;
      consumer.link = link;
      return;
    }
    const className = layer.getClassName();
    if (!CONNECTORS.has(className)) return;
    if (className === 'Flatten') through = 'flatten';
    if (className === 'GlobalAveragePooling2D') through = 'gap';
    cur = layer;
  }
}

function linkKind(from: 'conv' | 'dense', to: 'conv' | 'dense', through: 'none' | 'flatten' | 'gap'): LinkKind | null {
  if (from === 'conv' && to === 'conv' && through === 'none') return 'conv-conv';
  if (from === 'conv' && to === 'dense' && through === 'flatten') return 'conv-flatten-dense';
  if (from === 'conv' && to === 'dense' && through === 'gap') return 'conv-gap-dense';
  if (from === 'dense' && to === 'dense' && through === 'none') return 'dense-dense';
  return null;
}

/** The blocks SFP can analyse: every kernel block except the classifier output itself. */
export function analysableBlocks(graph: ModelGraph): KernelBlock[] {
  return graph.blocks.filter((b) => !b.isOutput);
}

export function blockByName(graph: ModelGraph, name: string): KernelBlock {
  const block = graph.blocks.find((b) => b.name === name);
  if (!block) {
    const known = graph.blocks.map((b) => b.name).join(', ');
    throw new Error(`No Conv2D/Dense layer named "${name}" in the model (kernel layers: ${known}).`);
  }
  return block;
}
