// AFCC masks (METHOD.md §7, on graphs §15.3): the slice from in-channel f to out-channel o of a
// kernel is kept iff the label sets of the unit channels they carry meet. At the classifier an
// out-channel's label set is {c}, so this is the "c ∈ L(f)" rule of §7.1; conv→conv is §7.2;
// dense→dense is single nodal performance (§7.3).
import type { KernelMask, MaskSet } from '../graph/masks';
import { EngineFailure } from '../core/errors';
import { requireLinked, type ModelGraph, type PruneTarget, type UnitRef } from '../sfp/graph';

/** Label sets per analysed unit: labelSets.get(unit)[channel] = L(channel), ascending. */
export type LabelSets = Map<string, number[][]>;

/** The geometry of a target's kernel: [S, F, O] in TF.js layout (PruneTarget's view). */
export type KernelGeometry = Pick<PruneTarget, 'spatial' | 'inputs' | 'outputs'> & { shape: number[] };

export function kernelGeometry(target: PruneTarget): KernelGeometry {
  return { shape: target.kernelShape, spatial: target.spatial, inputs: target.inputs, outputs: target.outputs };
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
    if (a[i]! < b[j]!) i++;
    else j++;
  }
  return false;
}

/** The in-channel → out-channel connection table for one targeted kernel. */
export function afccTable(inputSets: number[][], outputSets: number[][]): Uint8Array {
  const outputs = outputSets.length;
  const table = new Uint8Array(inputSets.length * outputs);
  inputSets.forEach((lf, f) => {
    outputSets.forEach((lo, o) => {
      if (intersects(lf, lo)) table[f * outputs + o] = 1;
    });
  });
  return table;
}

function setsOf(refs: UnitRef[], labelSets: LabelSets): number[][] {
  return refs.map(({ unit, channel }) => {
    const sets = labelSets.get(unit);
    if (!sets) throw new EngineFailure('mismatch', `${unit}: no SFP label sets (analyse this unit first)`);
    return sets[channel]!;
  });
}

/** Label sets a target's out-channels are judged by: their unit's, or {c} at the classifier. */
export function outputLabelSets(target: PruneTarget, labelSets: LabelSets): number[][] {
  if (target.isOutput) return Array.from({ length: target.outputs }, (_, c) => [c]);
  return setsOf(target.outputUnits, labelSets);
}

/** AFCC masks on the kernels of the named target layers (METHOD.md §15.3). */
export function afccMasks(graph: ModelGraph, labelSets: LabelSets, targets: string[]): MaskSet {
  return targets.map((name) => {
    const target = requireLinked(graph, name);
    const table = afccTable(setsOf(target.inputUnits!, labelSets), outputLabelSets(target, labelSets));
    return expandConnections(name, kernelGeometry(target), table);
  });
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
