// From the paths a script saves to, to the model files of the workspace it wrote. Pure.
import * as path from 'node:path';

const MODEL_FILE = /\.(json|h5|hdf5|keras)$/i;

/**
 * The files a save path may have produced, tried relative to each base folder in turn (the script's
 * own folder first, then the workspace folders it may have been run from). `file://` is stripped;
 * other schemes (`localstorage://`, `indexeddb://`, `http://`) save nowhere in the workspace. A path
 * without a model extension is a folder: TF.js (and tensorflowjs's converter) write `model.json` into it.
 */
export function savedFileCandidates(savePath: string, baseDirs: readonly string[]): string[] {
  let target = savePath.trim();
  if (target.startsWith('file://')) target = target.slice('file://'.length);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || target === '') return [];
  const inFolder = (file: string) => (MODEL_FILE.test(file) ? file : path.join(file, 'model.json'));
  if (path.isAbsolute(target)) return [inFolder(path.normalize(target))];
  return [...new Set(baseDirs.map((dir) => inFolder(path.resolve(dir, target))))];
}

/**
 * The known model files a source file saves, in the order its save calls appear: each save path is
 * resolved against the source's folder, then against the workspace folders; the first candidate
 * that is a known model wins.
 */
export function linkSavedModels(savePaths: readonly string[], sourceFile: string, workspaceDirs: readonly string[], knownModels: ReadonlySet<string>): string[] {
  const linked: string[] = [];
  const bases = [path.dirname(sourceFile), ...workspaceDirs];
  for (const savePath of savePaths) {
    const hit = savedFileCandidates(savePath, bases).find((file) => knownModels.has(file));
    if (hit && !linked.includes(hit)) linked.push(hit);
  }
  return linked;
}
