// Structured removal: filters (conv output channels, hidden dense units) that can no longer
// affect the output are removed physically, giving a model with fewer parameters and MACs that
// computes the same function as the masked one. A filter is removable when
//   - every outgoing connection (the next weight layer's inputs from it) is zero, or
//   - every incoming weight is zero and its constant output after bias, BatchNorm and activation
//     is exactly zero, or
//   - the caller names it (e.g. a filter whose SFP label set is empty); that is equivalent to
//     zeroing its outgoing connections.
// The next layer's kernel loses the matching inputs: for a conv or dense consumer, input channel
// f; for a dense after Flatten, the NHWC rows p·F + f for every position p.
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../core/errors';
import { chainOf, type Step } from '../train/network';

export interface RemovedFilters {
  layer: string;
  before: number;
  after: number;
  /** Indices (in the original layer) of the filters removed. */
  removed: number[];
}

export interface StructuredResult {
  model: tf.LayersModel;
  layers: RemovedFilters[];
}

interface Producer {
  index: number;
  /** Step index of the consuming weight layer. */
  consumer: number;
  /** Positions per channel at the consumer's input (H·W after Flatten, else 1). */
  positions: number;
  /** BatchNorm / activation steps between producer and consumer (for the constant-output test). */
  between: number[];
}

/** Weight layers whose outputs feed exactly one later weight layer through shape-preserving steps. */
function producers(steps: Step[], kernels: (tf.Tensor | undefined)[]): Producer[] {
  const result: Producer[] = [];
  steps.forEach((step, index) => {
    if (step.kind !== 'conv' && step.kind !== 'dense') return;
    const channels = kernels[index]!.shape[kernels[index]!.shape.length - 1];
    const between: number[] = [];
    let flattened = false;
    for (let j = index + 1; j < steps.length; j++) {
      const next = steps[j];
      if (next.kind === 'conv' || next.kind === 'dense') {
        if (next.kind === 'conv' && flattened) return;
        const inputs = (next.kind === 'conv' ? kernels[j]!.shape[2] : kernels[j]!.shape[0]) as number;
        if (inputs % channels !== 0) return;
        result.push({ index, consumer: j, positions: inputs / channels, between });
        return;
      }
      if (next.kind === 'flatten') flattened = true;
      else if (next.kind === 'globalpool') flattened = true;
      else if (next.kind === 'batchnorm' || next.kind === 'activation') between.push(j);
      else if (next.kind !== 'pool' && next.kind !== 'dropout') return;
    }
  });
  return result;
}

function reshapeJsonLayers(topology: Record<string, unknown>): Record<string, unknown>[] {
  const config = topology.config as Record<string, unknown>;
  const layers = (Array.isArray(config) ? config : config.layers) as Record<string, unknown>[];
  return layers;
}

export async function removeDeadFilters(
  model: tf.LayersModel,
  options: { remove?: Record<string, number[]> } = {},
): Promise<StructuredResult> {
  const { steps, layers } = chainOf(model);
  // getWeights() hands out the model's own variables: read them, never dispose them.
  const weights = layers.map((layer) => layer.getWeights());
  const kernels = steps.map((step, i) => (step.kind === 'conv' || step.kind === 'dense' ? weights[i][0] : undefined));
  const values = kernels.map((k) => k?.dataSync());
  const links = producers(steps, kernels);
  const removable = new Set(links.map((p) => steps[p.index].layer));
  const unknown = Object.keys(options.remove ?? {}).filter((name) => !removable.has(name));
  if (unknown.length > 0) {
    throw new EngineFailure('mismatch', `cannot remove filters of ${unknown.join(', ')}: only layers whose outputs feed one later conv or dense layer can lose filters`);
  }
  const keep = new Map<number, boolean[]>();
  for (const p of links) {
    const channels = kernels[p.index]!.shape[kernels[p.index]!.shape.length - 1];
    const own = values[p.index]!;
    const next = values[p.consumer]!;
    const nextShape = kernels[p.consumer]!.shape;
    const nextOut = nextShape[nextShape.length - 1];
    const nextIn = (steps[p.consumer].kind === 'conv' ? nextShape[2] : nextShape[0]) as number;
    const taps = next.length / (nextIn * nextOut);
    const named = new Set(options.remove?.[steps[p.index].layer] ?? []);
    const alive: boolean[] = [];
    for (let f = 0; f < channels; f++) {
      let incoming = false;
      for (let i = f; i < own.length && !incoming; i += channels) incoming = own[i] !== 0;
      // Consumer input r belongs to channel r mod F (NHWC flatten: r = p·F + f); the consumer
      // kernel is [taps, inputs, outputs] in row-major order.
      let outgoing = false;
      for (let a = 0; a < taps && !outgoing; a++) {
        for (let r = f; r < nextIn && !outgoing; r += channels) {
          const base = (a * nextIn + r) * nextOut;
          for (let o = 0; o < nextOut && !outgoing; o++) outgoing = next[base + o] !== 0;
        }
      }
      const silent = !incoming && constantOutput(steps, weights, p, f) === 0;
      alive.push(!named.has(f) && outgoing && !silent);
    }
    if (!alive.some(Boolean)) alive[0] = true;
    if (alive.some((a) => !a)) keep.set(p.index, alive);
  }
  return rebuild(model, steps, weights, keep, links);
}

/** The filter's output when all its incoming weights are zero: bias → BatchNorm → activation. */
function constantOutput(steps: Step[], weights: tf.Tensor[][], p: Producer, f: number): number {
  const step = steps[p.index] as Extract<Step, { kind: 'conv' | 'dense' }>;
  let v = step.hasBias ? weights[p.index][1].dataSync()[f] : 0;
  const act = (a: string) => (a === 'relu' || a === 'relu6' ? Math.max(0, v) : a === 'linear' ? v : NaN);
  v = act(step.activation);
  for (const j of p.between) {
    const s = steps[j];
    if (s.kind === 'batchnorm') {
      const w = weights[j].map((t) => t.dataSync());
      let i = 0;
      const gamma = s.hasScale ? w[i++][f] : 1;
      const beta = s.hasCenter ? w[i++][f] : 0;
      v = gamma * (v - w[i][f]) / Math.sqrt(w[i + 1][f] + s.epsilon) + beta;
    } else if (s.kind === 'activation') {
      v = act(s.activation);
    }
  }
  return v;
}

async function rebuild(
  model: tf.LayersModel,
  steps: Step[],
  weights: tf.Tensor[][],
  keep: Map<number, boolean[]>,
  links: Producer[],
): Promise<StructuredResult> {
  const topology = model.toJSON(null, false) as Record<string, unknown>;
  const jsonLayers = reshapeJsonLayers(topology);
  const report: RemovedFilters[] = [];
  const newWeights = new Map<string, tf.Tensor[]>();
  const indices = (alive: boolean[]) => alive.flatMap((a, i) => (a ? [i] : []));
  tf.tidy(() => {
    steps.forEach((step, index) => {
      let ws = weights[index];
      const own = keep.get(index);
      if (own && (step.kind === 'conv' || step.kind === 'dense')) {
        const kept = tf.tensor1d(indices(own), 'int32');
        const rank = ws[0].rank;
        ws = [tf.gather(ws[0], kept, rank - 1), ...ws.slice(1).map((b) => tf.gather(b, kept))];
        const config = jsonLayers.find((l) => (l.config as Record<string, unknown>).name === step.layer)!.config as Record<string, unknown>;
        config[step.kind === 'conv' ? 'filters' : 'units'] = own.filter(Boolean).length;
        report.push({ layer: step.layer, before: own.length, after: own.filter(Boolean).length, removed: own.flatMap((a, i) => (a ? [] : [i])) });
        // The BatchNorm layers of this block lose the same channels.
        const link = links.find((l) => l.index === index)!;
        for (const j of link.between) {
          if (steps[j].kind === 'batchnorm') newWeights.set(steps[j].layer, weights[j].map((t) => tf.keep(tf.gather(t, kept))));
        }
      }
      const feeding = links.find((l) => l.consumer === index && keep.has(l.index));
      if (feeding) {
        const alive = keep.get(feeding.index)!;
        const rows: number[] = [];
        for (let p = 0; p < feeding.positions; p++) for (const f of indices(alive)) rows.push(p * alive.length + f);
        rows.sort((a, b) => a - b);
        const axis = step.kind === 'conv' ? 2 : 0;
        ws = [tf.gather(ws[0], tf.tensor1d(rows, 'int32'), axis), ...ws.slice(1)];
      }
      if (!newWeights.has(step.layer)) newWeights.set(step.layer, ws.map((t) => tf.keep(tf.clone(t))));
    });
  });
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
  for (const layer of rebuilt.layers) {
    const ws = newWeights.get(layer.name);
    if (ws && ws.length > 0) layer.setWeights(ws);
  }
  for (const ws of newWeights.values()) tf.dispose(ws);
  return { model: rebuilt, layers: report };
}
