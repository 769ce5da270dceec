// Shared by the ONNX format tests: the tiny graphs of test/fixtures/onnx/tiny and onnxruntime's
// outputs for them (expected.json, written by make-tiny.py), and predictions on NCHW batches.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { repoRoot } from '../helpers';

export const tinyDir = path.join(repoRoot, 'test/fixtures/onnx/tiny');
export const expected = JSON.parse(readFileSync(path.join(tinyDir, 'expected.json'), 'utf8')) as Record<string, { shape: number[]; x: number[]; y: number[] }>;

/** The model's prediction for a batch given in the file's NCHW layout (tfjs runs NHWC). */
export function predictNchw(model: tf.LayersModel, x: number[], shape: number[]): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor(x, shape);
    const held = shape.length === 4 ? tf.transpose(input, [0, 2, 3, 1]) : input;
    return (model.predict(held) as tf.Tensor).dataSync() as Float32Array;
  });
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`output sizes differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
