// The AFCC connections a prune run kept, as the engine decided them (the report's per-target
// decision: slice f → o kept, packed bits): the panel draws them, it never recomputes masks.
// Also the label-set histogram and filter ordering of the SFP view.
import type { SfpFilter, TargetDecision } from '../../src/protocol/report';

export interface ConnectionMask {
  /** Rows: receiving units (the target's out-channels or classes); columns: its in-channels. */
  rows: number;
  cols: number;
  /** kept[row * cols + col] = 1 when the connection survives. */
  kept: Uint8Array;
  keptCount: number;
}

/** A target's kept slices (keep[f·outputs + o], least significant bit first) as rows o × columns f. */
export function decisionMask(decision: TargetDecision): ConnectionMask {
  const bytes = Uint8Array.from(atob(decision.slices), (c) => c.charCodeAt(0));
  const { inputs: cols, outputs: rows } = decision;
  const kept = new Uint8Array(rows * cols);
  let keptCount = 0;
  for (let f = 0; f < cols; f++) {
    for (let o = 0; o < rows; o++) {
      const slice = f * rows + o;
      if ((bytes[slice >> 3]! >> (slice & 7)) & 1) {
        kept[o * cols + f] = 1;
        keptCount++;
      }
    }
  }
  return { rows, cols, kept, keptCount };
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
