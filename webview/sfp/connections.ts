// AFCC connections between two analysed layers, derived from label sets (METHOD.md §7):
// input filter i of layer m feeds output filter o of layer m+1 iff L_m(i) ∩ L_{m+1}(o) ≠ ∅;
// into the output layer, filter f feeds class c iff c ∈ L(f). Pure, bitset-based (fast at 512×512).
import type { SfpFilter } from '../../src/protocol/report';

export interface ConnectionMask {
  /** Rows: receiving units (next layer's filters or classes); columns: this layer's filters. */
  rows: number;
  cols: number;
  /** kept[row * cols + col] = 1 when the connection survives. */
  kept: Uint8Array;
  keptCount: number;
}

export function labelBitsets(labelSets: number[][], classes: number): { words: number; bits: Uint32Array } {
  const words = Math.max(1, Math.ceil(classes / 32));
  const bits = new Uint32Array(labelSets.length * words);
  labelSets.forEach((labels, f) => {
    for (const l of labels) bits[f * words + (l >>> 5)] |= 1 << (l & 31);
  });
  return { words, bits };
}

export function connectionMask(from: number[][], to: number[][], classes: number): ConnectionMask {
  const a = labelBitsets(from, classes);
  const b = labelBitsets(to, classes);
  const kept = new Uint8Array(to.length * from.length);
  let keptCount = 0;
  for (let o = 0; o < to.length; o++) {
    for (let i = 0; i < from.length; i++) {
      let meet = 0;
      for (let w = 0; w < a.words && meet === 0; w++) meet = a.bits[i * a.words + w] & b.bits[o * b.words + w];
      if (meet !== 0) {
        kept[o * from.length + i] = 1;
        keptCount++;
      }
    }
  }
  return { rows: to.length, cols: from.length, kept, keptCount };
}

/** Into the classifier output: unit c keeps filter f iff c ∈ L(f). */
export function outputMask(from: number[][], classes: number): ConnectionMask {
  return connectionMask(from, Array.from({ length: classes }, (_, c) => [c]), classes);
}

export function maskToRgba(mask: ConnectionMask, keptColour: readonly number[], removedColour: readonly number[]): Uint8ClampedArray {
  const pixels = new Uint8ClampedArray(mask.kept.length * 4);
  for (let k = 0; k < mask.kept.length; k++) {
    const c = mask.kept[k] ? keptColour : removedColour;
    pixels[k * 4] = c[0];
    pixels[k * 4 + 1] = c[1];
    pixels[k * 4 + 2] = c[2];
    pixels[k * 4 + 3] = 255;
  }
  return pixels;
}

/** counts[k] = number of filters with |L(f)| = k. */
export function labelSetSizeHistogram(filters: SfpFilter[]): number[] {
  const counts: number[] = [0];
  for (const f of filters) {
    while (counts.length <= f.labels.length) counts.push(0);
    counts[f.labels.length]++;
  }
  return counts;
}

export type FilterOrder = 'index' | 'labels' | 'noise';

/** Filter positions in display order: by index, by label-set size (largest first), or by noise (noisiest first). */
export function orderFilters(filters: SfpFilter[], by: FilterOrder): number[] {
  const order = filters.map((_, k) => k);
  if (by === 'labels') order.sort((p, q) => filters[q].labels.length - filters[p].labels.length || p - q);
  if (by === 'noise') order.sort((p, q) => filters[q].noise - filters[p].noise || p - q);
  return order;
}
