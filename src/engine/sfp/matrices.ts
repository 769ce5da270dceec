// Per-filter C×C single-filter-performance matrices (METHOD.md §4), accumulated batch by batch in
// one batched pass (§11): fields of every filter, sample and class from one matMul, then a
// label-indexed sum, kept on the CPU in float64.
import * as tf from '@tensorflow/tfjs';

export class SfpMatrixAccumulator {
  /** Σ over samples of label i of the field filter f sends to class c: [F, C, C]. */
  readonly sums: Float64Array;
  readonly labelCounts: Float64Array;
  /** Readout as [F, P, C]. */
  private readonly kernelByFilter: tf.Tensor3D;
  private readonly positions: number;

  /**
   * @param readout kernel [P·F, C], rows in NHWC flatten order: row p·F + f belongs to filter f.
   */
  constructor(readout: tf.Tensor2D, readonly filters: number, readonly classes: number) {
    const [rows, cols] = readout.shape;
    if (rows % filters !== 0 || cols !== classes) {
      throw new Error(`Readout of shape [${rows}, ${cols}] does not fit ${filters} filters and ${classes} classes.`);
    }
    this.positions = rows / filters;
    this.kernelByFilter = tf.tidy(() => readout.reshape([this.positions, filters, classes]).transpose([1, 0, 2]) as tf.Tensor3D);
    this.sums = new Float64Array(filters * classes * classes);
    this.labelCounts = new Float64Array(classes);
  }

  /** features [N, P·F] (NHWC flatten order), labels of the N samples. */
  async add(features: tf.Tensor2D, labels: Int32Array): Promise<void> {
    const n = features.shape[0];
    const { filters: f, classes: c, positions: p } = this;
    const perLabel = tf.tidy(() => {
      const a = features.reshape([n, p, f]).transpose([2, 0, 1]) as tf.Tensor3D; // [F, N, P]
      const fields = tf.matMul(a, this.kernelByFilter); // [F, N, C]
      const flat = fields.transpose([1, 0, 2]).reshape([n, f * c]); // [N, F·C]
      const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), c).toFloat(); // [N, C]
      return tf.matMul(oneHot, flat, true, false); // [C_true, F·C]
    });
    const values = await perLabel.data();
    perLabel.dispose();
    // values[i, f, c] → sums[f, i, c]
    for (let i = 0; i < c; i++) {
      for (let fi = 0; fi < f; fi++) {
        const src = i * f * c + fi * c;
        const dst = fi * c * c + i * c;
        for (let k = 0; k < c; k++) this.sums[dst + k] += values[src + k];
      }
    }
    for (const y of labels) this.labelCounts[y] += 1;
  }

  /** Row-normalised by label counts (§4 PROPOSAL), then divided by each filter's signed maximum. */
  finish(): NormalisedMatrices {
    return normaliseMatrices(this.sums, this.labelCounts, this.filters, this.classes);
  }

  dispose(): void {
    this.kernelByFilter.dispose();
  }
}

export interface NormalisedMatrices {
  filters: number;
  classes: number;
  /** [F, C, C] row-major; all zeros for an empty filter. */
  data: Float32Array;
  /** 1 where the filter's maximum was ≤ 0: it has no clusters. */
  empty: Uint8Array;
}

export function normaliseMatrices(sums: Float64Array, labelCounts: Float64Array, filters: number, classes: number): NormalisedMatrices {
  const size = classes * classes;
  const data = new Float32Array(filters * size);
  const empty = new Uint8Array(filters);
  const row = new Float64Array(size);
  for (let f = 0; f < filters; f++) {
    let max = -Infinity;
    for (let i = 0; i < classes; i++) {
      const count = labelCounts[i];
      for (let c = 0; c < classes; c++) {
        const v = count > 0 ? sums[f * size + i * classes + c] / count : 0;
        row[i * classes + c] = v;
        if (count > 0 && v > max) max = v;
      }
    }
    if (!(max > 0)) {
      empty[f] = 1;
      continue;
    }
    for (let k = 0; k < size; k++) data[f * size + k] = row[k] / max;
  }
  return { filters, classes, data, empty };
}
