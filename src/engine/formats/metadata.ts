// The class names a TF.js model carries beside it: Teachable Machine writes `metadata.json` next to
// `model.json` with `"labels"` (image and pose projects) or `"wordLabels"` (audio projects), one name
// per output. A broken or odd side file never stops the model from opening: it becomes a note.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface ModelMetadata {
  /** Class names by output index, as the file lists them (not yet checked against the outputs). */
  classNames?: string[];
  /** The file they came from. */
  classNamesFile?: string;
  notes: string[];
}

/** `<stem>.metadata.json` beside a `<stem>.json` model, else the folder's `metadata.json`. */
export function metadataCandidates(modelJson: string): string[] {
  const dir = path.dirname(modelJson);
  const stem = path.basename(modelJson, path.extname(modelJson));
  const own = path.join(dir, `${stem}.metadata.json`);
  const shared = path.join(dir, 'metadata.json');
  return stem === 'model' ? [shared] : [own, shared];
}

export async function readModelMetadata(modelJson: string): Promise<ModelMetadata> {
  for (const file of metadataCandidates(modelJson)) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    const name = path.basename(file);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return { notes: [`${name} beside the model is not valid JSON (${(error as Error).message}); its class names were not read.`] };
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { notes: [`${name} beside the model is not a JSON object; its class names were not read.`] };
    const o = raw as Record<string, unknown>;
    const key = o['labels'] !== undefined ? 'labels' : o['wordLabels'] !== undefined ? 'wordLabels' : undefined;
    if (!key) return { notes: [] };
    const names = o[key];
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      return { notes: [`"${key}" in ${name} beside the model is not a list of class names; they were not used.`] };
    }
    return { classNames: names as string[], classNamesFile: file, notes: [] };
  }
  return { notes: [] };
}
