// Random AFCC (METHOD.md §9.1): the AFCC construction with random, balanced label sets of size k,
// k matched per block to the measured mean |L(f)|. Tests whether cluster identity matters.
import * as tf from '@tensorflow/tfjs';
import type { ModelGraph } from '../sfp/graph';
import { mulberry32, shuffleInPlace } from '../core/random';
import { afccMasks, type LabelSets } from './afcc';
import type { KernelMask, MaskSet } from '../graph/masks';
import { EngineFailure } from '../core/errors';

/**
 * F label sets of exactly k distinct labels out of C, each label used ⌊F·k/C⌋ or ⌈F·k/C⌉ times.
 * Labels come as concatenated shuffled permutations (which fixes the counts) and each goes to a
 * random filter among those with the most free slots that do not hold it yet. A dead end (rare)
 * retries with the next seed; the last resort deals arcs of one random cyclic order, which meets
 * both constraints by construction.
 */
export function balancedLabelSets(filters: number, classes: number, k: number, seed: number): number[][] {
  if (!Number.isInteger(k) || k < 0 || k > classes) throw new EngineFailure('mismatch', `random AFCC: k = ${k} labels per filter is not in 0..${classes}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const sets = tryDeal(filters, classes, k, seed + attempt * 7919);
    if (sets) return sets.map((s) => s.sort((a, b) => a - b));
  }
  const order = shuffleInPlace(Int32Array.from({ length: classes }, (_, i) => i), seed);
  return Array.from({ length: filters }, (_, f) => Array.from({ length: k }, (_, j) => order[(f * k + j) % classes]).sort((a, b) => a - b));
}

function tryDeal(filters: number, classes: number, k: number, seed: number): number[][] | null {
  const random = mulberry32(seed);
  const total = filters * k;
  const sequence: number[] = [];
  while (sequence.length < total) {
    const perm = Array.from({ length: classes }, (_, i) => i);
    for (let i = classes - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    sequence.push(...perm.slice(0, total - sequence.length));
  }
  const sets: number[][] = Array.from({ length: filters }, () => []);
  for (const label of sequence) {
    let most = 0;
    for (const s of sets) if (!s.includes(label)) most = Math.max(most, k - s.length);
    if (most === 0) return null;
    const candidates = sets.map((s, f) => (!s.includes(label) && k - s.length === most ? f : -1)).filter((f) => f >= 0);
    sets[candidates[Math.floor(random() * candidates.length)]].push(label);
  }
  return sets;
}

/** Random label sets for each needed block, k = round(measured mean |L|) per block. */
export function randomLabelSets(graph: ModelGraph, measured: LabelSets, seed: number): { sets: LabelSets; k: Map<string, number> } {
  const sets: LabelSets = new Map();
  const kByBlock = new Map<string, number>();
  [...measured.entries()].forEach(([name, real], i) => {
    const mean = real.reduce((a, s) => a + s.length, 0) / Math.max(real.length, 1);
    const k = Math.min(graph.classes, Math.max(1, Math.round(mean)));
    kByBlock.set(name, k);
    sets.set(name, balancedLabelSets(real.length, graph.classes, k, seed * 1009 + i));
  });
  return { sets, k: kByBlock };
}

export function randomAfccMasks(graph: ModelGraph, measured: LabelSets, consumers: string[], seed: number): { masks: MaskSet; k: Map<string, number> } {
  const { sets, k } = randomLabelSets(graph, measured, seed);
  return { masks: afccMasks(graph, sets, consumers), k };
}

/**
 * §9.1 step 4, for training random AFCC from scratch: re-draws the kept weights into output unit
 * c from U(−1/√n_c, 1/√n_c), n_c = its unmasked inputs. Off by default when fine-tuning from
 * trained weights, where it would throw the trained output layer away.
 */
export function reinitialiseOutput(layer: tf.layers.Layer, mask: KernelMask, seed: number): void {
  const [kernel, ...rest] = layer.getWeights();
  const [rows, outputs] = kernel.shape;
  const values = kernel.dataSync().slice();
  const random = mulberry32(seed);
  for (let c = 0; c < outputs; c++) {
    let n = 0;
    for (let r = 0; r < rows; r++) n += mask.keep[r * outputs + c];
    const limit = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let r = 0; r < rows; r++) values[r * outputs + c] = mask.keep[r * outputs + c] ? (random() * 2 - 1) * limit : 0;
  }
  const fresh = tf.tensor2d(values, [rows, outputs]);
  layer.setWeights([fresh, ...rest]);
  fresh.dispose();
}
