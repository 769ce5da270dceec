// Scratch folders for the fault and leak tests: a temporary root and copies of the tiny model, so
// a test may delete or rewrite "the user's model" without touching the fixture.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tinyModel } from './corpus';

export function tempFolder(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Copies the tiny TF.js model (model.json + shard) into `dir`; returns the copy's model.json. */
export async function copyTinyModel(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const from = path.dirname(tinyModel);
  for (const name of ['model.json', 'group1-shard1of1.bin']) await fs.copyFile(path.join(from, name), path.join(dir, name));
  return path.join(dir, 'model.json');
}

/**
 * Writes an IDX pair of `count` random 8×8 images and labels 0-9 (the tiny model's input) into
 * `dir`: a dataset big enough that evaluating it takes a moment, to interrupt a job mid-way.
 */
export async function writeIdxDataset(dir: string, count: number, seed = 1): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  let state = seed >>> 0;
  const next = (): number => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24);
  const images = Buffer.alloc(16 + count * 64);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(8, 8);
  images.writeUInt32BE(8, 12);
  for (let i = 16; i < images.length; i++) images[i] = next();
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 8; i < labels.length; i++) labels[i] = next() % 10;
  await fs.writeFile(path.join(dir, 't10k-images-idx3-ubyte'), images);
  await fs.writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), labels);
  return dir;
}
