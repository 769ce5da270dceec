// Pruning masks, in TF.js kernel layout: Conv2D [kh, kw, in, out], Dense [in, out].
export interface KernelMask {
  /** Name of the layer whose kernel this mask applies to. */
  layer: string;
  shape: number[];
  /** 1 = keep, 0 = pruned; row-major over `shape`. */
  keep: Uint8Array;
}

export type MaskSet = KernelMask[];
