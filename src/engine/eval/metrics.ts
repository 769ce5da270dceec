// Accumulates classification metrics batch by batch from the model's output rows.
import type { AccuracyResult } from '../../protocol/report';

export class ClassificationTally {
  readonly confusion: number[][];
  private samples = 0;
  private top1 = 0;
  private top5 = 0;
  private lossSum = 0;
  private readonly k: number;

  constructor(readonly classes: number) {
    this.confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    this.k = Math.min(5, classes);
  }

  /**
   * Adds one batch: `outputs` is [n, classes] row-major; `probabilities` says whether the rows are
   * already a softmax (otherwise they are logits and get one, for the loss).
   */
  add(outputs: Float32Array, labels: Int32Array, probabilities: boolean): void {
    const c = this.classes;
    for (let i = 0; i < labels.length; i++) {
      const row = i * c;
      const label = labels[i]!;
      const target = outputs[row + label]!;
      let best = 0;
      let above = 0;
      let max = -Infinity;
      for (let j = 0; j < c; j++) {
        const v = outputs[row + j]!;
        if (v > outputs[row + best]!) best = j;
        // Ties count against the sample (as tf.math.in_top_k does for equal scores ahead of it).
        if (j !== label && v >= target) above++;
        if (v > max) max = v;
      }
      this.confusion[label]![best]!++;
      if (best === label) this.top1++;
      if (above < this.k) this.top5++;
      this.lossSum += probabilities ? -Math.log(Math.max(target, 1e-7)) : logSumExp(outputs, row, c, max) - target;
      this.samples++;
    }
  }

  result(): AccuracyResult {
    const perClass = this.confusion.map((row, k) => {
      const total = row.reduce((a, b) => a + b, 0);
      return total === 0 ? 0 : row[k]! / total;
    });
    const n = Math.max(1, this.samples);
    return { top1: this.top1 / n, top5: this.top5 / n, perClass, loss: this.lossSum / n, samples: this.samples };
  }
}

function logSumExp(values: Float32Array, start: number, count: number, max: number): number {
  let sum = 0;
  for (let j = 0; j < count; j++) sum += Math.exp(values[start + j]! - max);
  return max + Math.log(sum);
}

/** True when every row is non-negative and sums to 1 (a softmax output), checked on a sample. */
export function looksLikeProbabilities(outputs: Float32Array, classes: number): boolean {
  const rows = Math.min(outputs.length / classes, 64);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const v = outputs[i * classes + j]!;
      if (v < 0 || v > 1) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}
