// afcc-hybrid: AFCC's label-set rule names the candidate connections, weight magnitude chooses
// among them, so a layer reaches any per-layer sparsity exactly (src/engine/prune/README.md).
//
// The rule, for one targeted kernel of N weights that must end with Z zeros:
// 1. AFCC strength of slice (in-channel f → out-channel o): a(f, o) = max_c min(d_f(c), d_o(c)),
//    d = the diagonal of the channel's normalised SFP matrix (channelScores.ts); at the classifier
//    a(f, c) = d_f(c). AFCC at threshold t keeps the slice iff a(f, o) > t (L_t(f) ∩ L_t(o) ≠ ∅),
//    so the slices AFCC cuts at t are exactly those with a ≤ t.
// 2. Candidates: the slices AFCC cuts at this layer's candidate threshold t_ℓ, the smallest
//    strength at which the cut holds at least Z + ⌈(N − Z)·(1 − HYBRID_PROTECTED_SHARE)⌉ weights.
//    Slices of equal strength (many share a = 1, where both channels' largest entry is the same
//    class's diagonal) are taken in order of their L1 norm, smallest first, then by index, so the
//    count is not overshot. The slices left out, the strongest label-set links, are kept
//    whatever their weights.
// 3. Zeros: the Z candidate weights with the smallest |w| (ties by index).
// So of the N − Z weights a layer keeps, about HYBRID_PROTECTED_SHARE are the label-set rule's
// choice and the rest magnitude's. Z = 0 keeps everything; Z = N cuts everything.
import type { KernelMask } from '../graph/masks';
import { checkZeros, type KernelValues } from './baselines';
import { sliceScores, type KernelSides } from './channelScores';
import { EngineFailure } from '../core/errors';

/** Share of the weights a layer keeps that are protected as the strongest AFCC links. */
export const HYBRID_PROTECTED_SHARE = 0.5;

/** AFCC strength a(f, o) of every slice, indexed f·O + o. */
export function afccStrengths(sides: KernelSides): Float64Array {
  return sliceScores(sides, (din, dout) => {
    let best = -Infinity;
    for (let c = 0; c < din.length; c++) best = Math.max(best, Math.min(din[c]!, dout[c]!));
    return best;
  });
}

export interface HybridMask {
  mask: KernelMask;
  /** t_ℓ: the candidates are the slices AFCC cuts below it and some of those at it (weakest L1 first). */
  candidateThreshold: number;
  /** Weights in the candidate slices. */
  candidates: number;
}

/** The hybrid's mask for one kernel with exactly `zeros` masked weights (steps 2 and 3 above). */
export function hybridKernelMask(kernel: KernelValues, strength: Float64Array, zeros: number): HybridMask {
  const { spatial, inputs, outputs, values } = kernel;
  const size = values.length;
  const slices = inputs * outputs;
  if (strength.length !== slices) throw new EngineFailure('mismatch', `${kernel.layer}: ${strength.length} slice strengths for ${slices} slices`);
  checkZeros(kernel, zeros);
  const needed = zeros + Math.ceil((size - zeros) * (1 - HYBRID_PROTECTED_SHARE));
  const l1 = new Float64Array(slices);
  for (let i = 0; i < size; i++) l1[i % slices] += Math.abs(values[i]!);
  const bySlice = Uint32Array.from({ length: slices }, (_, i) => i).sort((a, b) => strength[a]! - strength[b]! || l1[a]! - l1[b]! || a - b);
  let taken = 0;
  let candidateThreshold = -Infinity;
  for (let count = 0; taken < slices && count < needed; taken++, count += spatial) candidateThreshold = strength[bySlice[taken]!]!;
  const candidate = new Uint8Array(slices);
  for (let i = 0; i < taken; i++) candidate[bySlice[i]!] = 1;
  const weights: number[] = [];
  for (let i = 0; i < size; i++) if (candidate[i % slices]) weights.push(i);
  weights.sort((a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b);
  const keep = new Uint8Array(size).fill(1);
  for (let k = 0; k < zeros; k++) keep[weights[k]!] = 0;
  return { mask: { layer: kernel.layer, shape: kernel.shape, keep }, candidateThreshold, candidates: weights.length };
}
