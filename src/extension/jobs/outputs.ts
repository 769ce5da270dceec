// The engine removes partial outputs itself; after a cancelled or failed job the host checks again
// and removes what the job created, and nothing that existed before it started.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';

export interface OutputSnapshot {
  file: string;
  existed: boolean;
  /** False when the job would create the folder too (a TF.js model's `<name>.pruned/`). */
  folderExisted: boolean;
}

export async function snapshotOutputs(files: string[]): Promise<OutputSnapshot[]> {
  return Promise.all(
    files.map(async (file) => ({ file, existed: await exists(file), folderExisted: await exists(path.dirname(file)) })),
  );
}

/** Removes outputs (and their temporary siblings) created since the snapshot; returns what it removed. */
export async function removeNewOutputs(snapshots: OutputSnapshot[]): Promise<string[]> {
  const removed: string[] = [];
  for (const { file, existed, folderExisted } of snapshots) {
    const folder = path.dirname(file);
    if (!folderExisted) {
      if (await exists(folder)) {
        await fs.rm(folder, { recursive: true, force: true });
        removed.push(folder);
      }
      continue;
    }
    if (!existed && (await exists(file))) {
      await fs.rm(file, { force: true });
      removed.push(file);
    }
    const tempPrefix = `.${path.basename(file)}.`;
    for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
      if (name.startsWith(tempPrefix) && name.endsWith('.tmp')) {
        await fs.rm(path.join(folder, name), { force: true });
        removed.push(path.join(folder, name));
      }
    }
  }
  return removed;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
