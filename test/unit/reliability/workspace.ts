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
