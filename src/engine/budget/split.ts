// The honest split of the accuracy budget: a seeded, stratified division of the evaluation data
// into calibration samples (every decision of the search) and held-out samples (only the reported
// figure). A split is a Dataset view that reads from its parent only the samples it holds.
import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchOptions, Dataset } from '../data/types';
import { shuffleInPlace } from '../core/random';
import { EngineFailure } from '../core/errors';

export interface SplitIndices {
  /** Parent sample indices, ascending. */
  calibration: Uint32Array;
  heldOut: Uint32Array;
}

/**
 * Each class's samples are shuffled with the seed and the first round(n·heldOut) of them held out,
 * so both parts keep the class proportions; the same labels, share and seed give the same split.
 */
export function stratifiedSplit(labels: Int32Array, heldOut: number, seed: number): SplitIndices {
  if (!(heldOut > 0 && heldOut < 1)) throw new EngineFailure('mismatch', `the held-out share must be between 0 and 1, exclusive (got ${heldOut})`);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = byClass.get(label) ?? [];
    list.push(i);
    byClass.set(label, list);
  });
  const held: number[] = [];
  const calibration: number[] = [];
  for (const [label, indices] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const order = shuffleInPlace(Uint32Array.from(indices), (seed * 1_000_003 + label) >>> 0);
    const count = Math.round(indices.length * heldOut);
    held.push(...order.subarray(0, count));
    calibration.push(...order.subarray(count));
  }
  if (held.length === 0 || calibration.length === 0) {
    throw new EngineFailure('bad-data', `${labels.length} samples are too few to split into calibration and held-out parts (held-out share ${heldOut})`);
  }
  return { calibration: Uint32Array.from(calibration).sort(), heldOut: Uint32Array.from(held).sort() };
}

/** Consecutive runs [start, end) of parent indices, in the order given. */
function runsOf(indices: ArrayLike<number>): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    const last = runs[runs.length - 1];
    if (last && last[1] === index) last[1]++;
    else runs.push([index, index + 1]);
  }
  return runs;
}

/**
 * The samples `indices` of `parent` as a dataset of their own (sample k = parent sample
 * indices[k]). Batches read the parent only over runs of these indices, so no other sample is
 * ever read through it; shuffling permutes these samples only.
 */
export function subsetDataset(parent: Dataset, indices: Uint32Array, part: string): Dataset {
  const per = parent.imageShape[0] * parent.imageShape[1] * parent.imageShape[2];
  async function* batches(options: BatchOptions): AsyncGenerator<Batch> {
    const start = Math.max(0, options.start ?? 0);
    const end = Math.min(indices.length, options.end ?? indices.length);
    let order = indices.slice(start, end);
    if (options.shuffleSeed !== undefined) order = shuffleInPlace(order, options.shuffleSeed);
    for (let i = 0; i < order.length; i += options.batchSize) {
      const chosen = order.subarray(i, Math.min(order.length, i + options.batchSize));
      const x = new Float32Array(chosen.length * per);
      const y = new Int32Array(chosen.length);
      let at = 0;
      for (const [from, to] of runsOf(chosen)) {
        for await (const batch of parent.batches({ batchSize: to - from, start: from, end: to })) {
          x.set(batch.x.dataSync() as Float32Array, at * per);
          y.set(batch.y, at);
          at += batch.y.length;
          batch.x.dispose();
        }
      }
      yield { x: tf.tensor4d(x, [chosen.length, ...parent.imageShape]), y };
    }
  }
  return {
    info: { ...parent.info, samples: indices.length, note: [parent.info.note, `${part}: ${indices.length} of ${parent.size} samples (stratified split)`].filter(Boolean).join('; ') },
    size: indices.length,
    classes: parent.classes,
    imageShape: parent.imageShape,
    batches,
    labels: async () => {
      const all = await parent.labels();
      return Int32Array.from(indices, (i) => all[i]!);
    },
  };
}
