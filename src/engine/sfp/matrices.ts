// Per-filter C×C single-filter-performance matrices (METHOD.md §4). The field a filter sends to a
// class is linear in the features, so S^f[i,c] = Σ_p W[p,f,c]·(Σ_{x: y(x)=i} A_f(x)[p]): the data
// pass only sums the features per true label ([C, P·F], one matMul per batch, kept in float64),
// and the readout is applied once at the end. Same numbers as the per-sample fields of §11, a
// fraction of the work (no [F, N, C] fields per batch).
import * as tf from '@tensorflow/tfjs';

export class SfpMatrixAccumulator {
  /** Σ over samples of label i of the features: [C, P·F] in NHWC flatten order. */
  readonly featureSums: Float64Array;
  readonly labelCounts: Float64Array;
  /** Readout [P·F, C] row-major: row p·F + f belongs to filter f. */
  private readonly readout: Float32Array;
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
    // Once per layer (P·F·C floats), not per batch.
    this.readout = readout.dataSync() as Float32Array;
    this.featureSums = new Float64Array(classes * rows);
    this.labelCounts = new Float64Array(classes);
  }

  private get size(): number {
    return this.positions * this.filters;
  }

  /** features [N, P·F] (NHWC flatten order), labels of the N samples. */
  async add(features: tf.Tensor2D, labels: Int32Array): Promise<void> {
    const n = features.shape[0];
    if (features.shape[1] !== this.size || labels.length !== n) throw new Error(`Features [${features.shape}] do not fit ${this.size} values and ${labels.length} labels.`);
    // oneHotᵀ [C, N] × features [N, P·F]: the fast operand order on wasm (no transposed operand).
    const perLabel = tf.tidy(() => tf.matMul(tf.oneHot(tf.tensor1d(labels, 'int32'), this.classes).toFloat().transpose(), features));
    const values = await perLabel.data();
    perLabel.dispose();
    for (let k = 0; k < values.length; k++) this.featureSums[k] += values[k];
    for (const y of labels) this.labelCounts[y] += 1;
  }

  /** Rows [first, first + labels.length) of a cached [samples, P·F] feature table. */
  addRows(table: Float32Array, first: number, labels: Int32Array): void {
    const size = this.size;
    for (let r = 0; r < labels.length; r++) {
      const y = labels[r];
      const row = table.subarray((first + r) * size, (first + r + 1) * size);
      const dst = y * size;
      for (let k = 0; k < size; k++) this.featureSums[dst + k] += row[k];
      this.labelCounts[y] += 1;
    }
  }

  /** Σ over samples of label i of the field filter f sends to class c: [F, C, C]. */
  get sums(): Float64Array {
    const { filters: f, classes: c, positions: p, readout: w } = this;
    const size = p * f;
    const out = new Float64Array(f * c * c);
    for (let i = 0; i < c; i++) {
      for (let pf = 0; pf < size; pf++) {
        const a = this.featureSums[i * size + pf];
        if (a === 0) continue;
        const dst = (pf % f) * c * c + i * c;
        const src = pf * c;
        for (let k = 0; k < c; k++) out[dst + k] += a * w[src + k];
      }
    }
    return out;
  }

  /** Row-normalised by label counts (§4 PROPOSAL), then divided by each filter's signed maximum. */
  finish(): NormalisedMatrices {
    return normaliseMatrices(this.sums, this.labelCounts, this.filters, this.classes);
  }

  /** Holds no tensors (the readout is copied at construction); kept so callers need not care. */
  dispose(): void {}
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
