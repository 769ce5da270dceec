// Writing model files without ever leaving a half-written model or touching the user's input:
// every file goes to a temporary sibling first and is renamed into place only when all are written.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EngineFailure } from '../core/errors';

/** One file of a model to write: its final path and its bytes. */
export interface PendingFile {
  path: string;
  data: Uint8Array | string;
}

function tempSibling(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Throws when any of `targets` is one of the `protectedFiles` (the input model's files). */
export function assertNotProtected(targets: string[], protectedFiles: string[] = []): void {
  const guarded = new Set(protectedFiles.map((p) => path.resolve(p)));
  for (const target of targets) {
    if (guarded.has(path.resolve(target))) {
      throw new EngineFailure(
        'io',
        'refusing to write over a file of the input model; choose another output path',
        target,
      );
    }
  }
}

/** Cleanup after a failed write must not replace its error (rm throws ENOTDIR under a file). */
function removeQuietly(target: string): Promise<void> {
  return fs.rm(target, { recursive: true, force: true }).catch(() => undefined);
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

/**
 * Writes all files to temporary siblings, then renames them into place in the given order (put
 * the file that makes the model visible, e.g. model.json, last). On failure the temporary files,
 * the files this call had already renamed into place where nothing was before, and the folders it
 * created are removed; the error names the file that failed.
 */
export async function writeFilesAtomically(files: PendingFile[], protectedFiles: string[] = []): Promise<string[]> {
  assertNotProtected(
    files.map((f) => f.path),
    protectedFiles,
  );
  const temps: string[] = [];
  const createdFolders: string[] = [];
  const placed: string[] = [];
  let failed: string | undefined;
  try {
    for (const file of files) {
      failed = file.path;
      const created = await fs.mkdir(path.dirname(file.path), { recursive: true });
      if (created) createdFolders.push(created);
      const temp = tempSibling(file.path);
      temps.push(temp);
      await fs.writeFile(temp, file.data);
    }
    // A rename can still fail (the name is taken by a folder, the disk went away): remember what
    // was new so a failure leaves the output as it was rather than half replaced.
    const isNew = await Promise.all(files.map(async (f) => !(await exists(f.path))));
    for (let i = 0; i < files.length; i++) {
      failed = files[i]!.path;
      await fs.rename(temps[i]!, files[i]!.path);
      if (isNew[i]) placed.push(files[i]!.path);
    }
  } catch (error) {
    await Promise.all([...temps, ...placed].map(removeQuietly));
    await Promise.all(createdFolders.map(removeQuietly));
    throw new EngineFailure('io', `could not write the model: ${(error as Error).message}`, failed);
  }
  return files.map((f) => path.resolve(f.path));
}

/**
 * Runs `write(tempPath)` (a writer that can only write to a path, like h5wasm) and renames the
 * result into place; the temporary file is removed when the writer fails.
 */
export async function writeViaTempPath(
  target: string,
  write: (tempPath: string) => Promise<void>,
  protectedFiles: string[] = [],
): Promise<string> {
  assertNotProtected([target], protectedFiles);
  const temp = tempSibling(target);
  let createdFolder: string | undefined;
  try {
    createdFolder = await fs.mkdir(path.dirname(target), { recursive: true });
    await write(temp);
    await fs.rename(temp, target);
  } catch (error) {
    await removeQuietly(temp);
    if (createdFolder) await removeQuietly(createdFolder);
    if (error instanceof EngineFailure) throw error;
    throw new EngineFailure('io', `could not write the model: ${(error as Error).message}`, target);
  }
  return path.resolve(target);
}
