// Where a pruned model goes unless the person says otherwise: beside the original, in the same
// format (the engine's own default, kept in step so the host knows which files a job may create).
import * as path from 'node:path';

export function defaultPrunedPath(modelPath: string): string {
  const dir = path.dirname(modelPath);
  const ext = path.extname(modelPath);
  const stem = path.basename(modelPath, ext);
  if (ext.toLowerCase() === '.json') return path.join(dir, `${stem}.pruned`, 'model.json');
  return path.join(dir, `${stem}.pruned${ext}`);
}
