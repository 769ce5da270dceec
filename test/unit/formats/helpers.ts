// Shared by the format tests: temporary folders, predictions and bit-exact weight comparison.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

export const repoRoot = path.resolve(__dirname, '../../..');
export const publicFixtures = path.resolve(repoRoot, '../shared/fixtures/public');
/** Tests reading the public fixtures skip with this reason where they are absent (a plain clone elsewhere; CI has them). */
export const publicSkip: string | false = existsSync(publicFixtures) ? false : `${publicFixtures} is absent (the public fixtures ship beside the repository)`;
export const tinyModel = path.join(repoRoot, 'test/fixtures/tiny/model.json');
export const kerasFixtures = path.join(repoRoot, 'test/fixtures/keras');

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quench-formats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A deterministic batch shaped like the model's input (values in [0, 1)). */
export function fixedInput(model: tf.LayersModel, batch = 3): tf.Tensor {
  const shape = [batch, ...(model.inputs[0]!.shape.slice(1) as number[])];
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000), shape);
}

export function predictValues(model: tf.LayersModel, input: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(input) as tf.Tensor).dataSync() as Float32Array);
}

/** Every weight has the same name order, shape and bytes. */
export function assertWeightsBitExact(a: tf.LayersModel, b: tf.LayersModel): void {
  assert.equal(a.weights.length, b.weights.length, 'weight count');
  a.weights.forEach((wa, i) => {
    const wb = b.weights[i]!;
    assert.deepEqual(wb.shape, wa.shape, `shape of ${wa.originalName}`);
    const da = new Uint8Array((wa.read().dataSync() as Float32Array).slice().buffer);
    const db = new Uint8Array((wb.read().dataSync() as Float32Array).slice().buffer);
    assert.ok(Buffer.from(da).equals(Buffer.from(db)), `bytes of ${wa.originalName}`);
  });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
