// Scratch workspaces for the job tests: a copy of the tiny TF.js model (so outputs land beside it
// in a temp folder, as they would beside a user's model) and a small IDX dataset family, test and
// train splits, of 8x8x1 images in 10 classes that a readout can learn.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { openModel } from '../../../src/engine/formats';
import { mulberry32 as random } from '../../../src/engine/core/random';

export const repoRoot = path.resolve(__dirname, '../../..');
export const tinyFixture = path.join(repoRoot, 'test/fixtures/tiny');

export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
}

export function tempFolder(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `quench-${prefix}-`));
}

/** Copies the tiny model into `dir`; returns the copy's model.json. */
export async function copyTiny(dir: string): Promise<string> {
  for (const name of ['model.json', 'group1-shard1of1.bin']) await fs.copyFile(path.join(tinyFixture, name), path.join(dir, name));
  return path.join(dir, 'model.json');
}


/**
 * Writes `<split>-images-idx3-ubyte` and `<split>-labels-idx1-ubyte`: class c brightens the 2x2
 * tile at (2·(c mod 4), 2·⌊c/4⌋) (a 4x3 grid of tiles, 10 used) over uniform noise.
 */
async function writeSplit(dir: string, split: string, count: number, seed: number): Promise<void> {
  const next = random(seed);
  const images = Buffer.alloc(16 + count * 64);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(8, 8);
  images.writeUInt32BE(8, 12);
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  for (let n = 0; n < count; n++) {
    const c = n % 10;
    labels[8 + n] = c;
    const [tx, ty] = [2 * (c % 4), 2 * Math.floor(c / 4)];
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const lit = x >= tx && x < tx + 2 && y >= ty && y < ty + 2;
        images[16 + n * 64 + y * 8 + x] = Math.floor((lit ? 150 : 0) + next() * 100);
      }
    }
  }
  await fs.writeFile(path.join(dir, `${split}-images-idx3-ubyte`), images);
  await fs.writeFile(path.join(dir, `${split}-labels-idx1-ubyte`), labels);
}

/** A t10k split of `test` and a train split of `train` samples; returns the t10k images path. */
export async function writeIdxFamily(dir: string, test = 300, train = 400): Promise<string> {
  await writeSplit(dir, 't10k', test, 11);
  await writeSplit(dir, 'train', train, 12);
  return path.join(dir, 't10k-images-idx3-ubyte');
}

/** Kernel values of every Conv2D/Dense layer of the model at `file`, and the zeros over all its weights. */
export async function writtenKernels(file: string): Promise<Map<string, { kernel: Float32Array; zeros: number }>> {
  const loaded = await openModel(file);
  try {
    const result = new Map<string, { kernel: Float32Array; zeros: number }>();
    for (const layer of loaded.model.layers) {
      if (!['Conv2D', 'Dense'].includes(layer.getClassName())) continue;
      const weights = layer.getWeights().map((w) => Float32Array.from(w.dataSync()));
      result.set(layer.name, { kernel: weights[0], zeros: weights.reduce((sum, w) => sum + zerosIn(w), 0) });
    }
    return result;
  } finally {
    loaded.model.dispose();
  }
}

export function zerosIn(values: Float32Array): number {
  let zeros = 0;
  for (const v of values) if (v === 0) zeros++;
  return zeros;
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
