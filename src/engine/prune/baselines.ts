// Baselines at a given number of zeros per layer (METHOD.md §9.2), so that they can be compared
// with AFCC at its exact per-layer sparsity: unstructured magnitude (per layer and global), and
// kernel-slice removal by L1 norm or at random. Slice methods remove whole slices (f → o over
// all spatial positions) and finish with part of one more slice, so the count is exact.
import { mulberry32, shuffleInPlace } from '../core/random';
import type { KernelMask, MaskSet } from '../graph/masks';
import { EngineFailure } from '../core/errors';

export interface KernelValues {
  layer: string;
  shape: number[];
  values: Float32Array;
  /** Kernel viewed as [S, F, O]: a slice is one (f, o) pair over the S positions. */
  spatial: number;
  inputs: number;
  outputs: number;
}

/** Indices ordered by score ascending, ties by index (deterministic). */
function ascending(scores: Float64Array | Float32Array): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[a] - scores[b] || a - b);
}

function zeroFirst(kernel: KernelValues, order: ArrayLike<number>, zeros: number): KernelMask {
  const keep = new Uint8Array(kernel.values.length).fill(1);
  for (let k = 0; k < zeros; k++) keep[order[k]] = 0;
  return { layer: kernel.layer, shape: kernel.shape, keep };
}

export function checkZeros(kernel: KernelValues, zeros: number): number {
  if (!Number.isInteger(zeros) || zeros < 0 || zeros > kernel.values.length) {
    throw new EngineFailure('mismatch', `${kernel.layer}: cannot prune ${zeros} of ${kernel.values.length} weights`);
  }
  return zeros;
}

/** Per-layer unstructured magnitude pruning: the `zeros` smallest |w| of each kernel. */
export function magnitudeMasks(kernels: KernelValues[], zeros: Map<string, number>): MaskSet {
  return kernels.map((k) => {
    const abs = Float32Array.from(k.values, Math.abs);
    return zeroFirst(k, ascending(abs), checkZeros(k, zeros.get(k.layer) ?? 0));
  });
}

/** Global magnitude: the smallest |w| over all kernels together; only the total count is matched. */
export function globalMagnitudeMasks(kernels: KernelValues[], totalZeros: number): MaskSet {
  const size = kernels.reduce((a, k) => a + k.values.length, 0);
  const abs = new Float32Array(size);
  let offset = 0;
  for (const k of kernels) {
    abs.set(Float32Array.from(k.values, Math.abs), offset);
    offset += k.values.length;
  }
  const order = ascending(abs);
  const keep = new Uint8Array(size).fill(1);
  for (let i = 0; i < totalZeros; i++) keep[order[i]] = 0;
  offset = 0;
  return kernels.map((k) => {
    const mask = { layer: k.layer, shape: k.shape, keep: keep.slice(offset, offset + k.values.length) };
    offset += k.values.length;
    return mask;
  });
}

/** Weight indices of slice (f, o) = f·O + o. */
function sliceIndices(k: KernelValues, slice: number): number[] {
  const block = k.inputs * k.outputs;
  return Array.from({ length: k.spatial }, (_, s) => s * block + slice);
}

/** The weights of one slice, smallest |w| first (ties by index): how a partial slice is cut. */
export function bySize(k: KernelValues, slice: number): number[] {
  return sliceIndices(k, slice).sort((a, b) => Math.abs(k.values[a]) - Math.abs(k.values[b]) || a - b);
}

/** Removes slices in `order`; the last, partial slice loses its entries in `partialOrder`. */
export function sliceMask(k: KernelValues, order: ArrayLike<number>, zeros: number, partialOrder: (slice: number) => number[]): KernelMask {
  const keep = new Uint8Array(k.values.length).fill(1);
  const whole = Math.floor(zeros / k.spatial);
  for (let i = 0; i < whole; i++) for (const idx of sliceIndices(k, order[i])) keep[idx] = 0;
  const rest = zeros - whole * k.spatial;
  if (rest > 0) for (const idx of partialOrder(order[whole]).slice(0, rest)) keep[idx] = 0;
  return { layer: k.layer, shape: k.shape, keep };
}

/** Kernel slices [:, :, i, o] (dense: rows p·F + f to o) with the smallest L1 norm. */
export function l1KernelMasks(kernels: KernelValues[], zeros: Map<string, number>): MaskSet {
  return kernels.map((k) => {
    const slices = k.inputs * k.outputs;
    const l1 = new Float64Array(slices);
    for (let i = 0; i < k.values.length; i++) l1[i % slices] += Math.abs(k.values[i]);
    return sliceMask(k, ascending(l1), checkZeros(k, zeros.get(k.layer) ?? 0), (slice) => bySize(k, slice));
  });
}

/** Random kernel slices, seeded. */
export function randomSliceMasks(kernels: KernelValues[], zeros: Map<string, number>, seed: number): MaskSet {
  return kernels.map((k, layerIndex) => {
    const order = shuffleInPlace(Uint32Array.from({ length: k.inputs * k.outputs }, (_, i) => i), seed * 31 + layerIndex);
    const random = mulberry32(seed * 131 + layerIndex);
    const shuffled = (slice: number): number[] => {
      const idx = sliceIndices(k, slice);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      return idx;
    };
    return sliceMask(k, order, checkZeros(k, zeros.get(k.layer) ?? 0), shuffled);
  });
}

/**
 * Brings a mask to exactly `zeros` zeros by pruning (or restoring) random slices, then part of
 * one; used to put random-AFCC at the reference's exact per-layer sparsity.
 */
export function matchZeros(k: KernelValues, mask: KernelMask, zeros: number, seed: number): KernelMask {
  const keep = mask.keep.slice();
  let current = keep.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
  const random = mulberry32(seed);
  const slices = shuffleInPlace(Uint32Array.from({ length: k.inputs * k.outputs }, (_, i) => i), seed + 1);
  const pruning = current < zeros;
  for (const slice of slices) {
    if (current === zeros) break;
    const idx = sliceIndices(k, slice).filter((i) => keep[i] === (pruning ? 1 : 0));
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (const i of idx) {
      if (current === zeros) break;
      keep[i] = pruning ? 0 : 1;
      current += pruning ? 1 : -1;
    }
  }
  return { ...mask, keep };
}

/** Zeros a mask leaves in the kernel: the masked weights and the weights that were zero already. */
export function finalZeros(k: KernelValues, mask: KernelMask): number {
  let zeros = 0;
  for (let i = 0; i < mask.keep.length; i++) if (mask.keep[i] === 0 || k.values[i] === 0) zeros++;
  return zeros;
}

/**
 * Brings the zeros left in the kernel (masked, or zero already) to exactly `zeros` by masking
 * or restoring single nonzero weights at random. Kernels without zeros of their own are left
 * as they are: their mask count is already the count. With them, a slice method would otherwise
 * end up above the reference's sparsity by the zeros that fell in its kept slices.
 */
export function matchFinalZeros(k: KernelValues, mask: KernelMask, zeros: number, seed: number): KernelMask {
  let current = finalZeros(k, mask);
  if (current === zeros) return mask;
  const keep = mask.keep.slice();
  const pruning = current < zeros;
  const candidates = shuffleInPlace(Uint32Array.from({ length: keep.length }, (_, i) => i), seed);
  for (const i of candidates) {
    if (current === zeros) break;
    if (k.values[i] === 0 || keep[i] !== (pruning ? 1 : 0)) continue;
    keep[i] = pruning ? 0 : 1;
    current += pruning ? 1 : -1;
  }
  return { ...mask, keep };
}
