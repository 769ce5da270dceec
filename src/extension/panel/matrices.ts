// Reads a run's SFP matrices side file (SfpMatricesFile JSON) and hands out one layer at a time
// as a Float32Array, which VS Code transfers to the webview without JSON-encoding every number.
import { promises as fs } from 'node:fs';
import type { Report, SfpMatricesFile } from '../../protocol/report';

export type LayerMatrices =
  | { ok: true; classes: number; filters: number; data: Float32Array }
  | { ok: false; reason: string };

export class MatricesCache {
  private file?: { path: string; content: Promise<SfpMatricesFile> };

  async layer(report: Report, layer: string): Promise<LayerMatrices> {
    const sfp = report.kind === 'analyze' || report.kind === 'prune' || report.kind === 'compare' ? report.sfp : undefined;
    if (!sfp) return { ok: false, reason: 'This run has no SFP analysis.' };
    if (!sfp.matricesPath) return { ok: false, reason: 'This run did not store the per-filter matrices; run Analyze with matrices enabled to see them. Cluster squares are drawn from the label sets instead.' };
    const matricesPath = sfp.matricesPath;
    if (this.file?.path !== matricesPath) this.file = { path: matricesPath, content: readMatricesFile(matricesPath) };
    let content: SfpMatricesFile;
    try {
      content = await this.file.content;
    } catch (err) {
      this.file = undefined;
      return { ok: false, reason: `Could not read the matrices file ${matricesPath}: ${(err as Error).message}` };
    }
    const entry = content.layers.find((l) => l.name === layer);
    if (!entry) return { ok: false, reason: `${matricesPath} has no matrices for layer ${layer}.` };
    const expected = entry.filters * content.classes * content.classes;
    if (entry.data.length !== expected) {
      return { ok: false, reason: `${matricesPath}: layer ${layer} has ${entry.data.length} values, expected ${entry.filters}×${content.classes}×${content.classes} = ${expected}.` };
    }
    return { ok: true, classes: content.classes, filters: entry.filters, data: Float32Array.from(entry.data) };
  }
}

async function readMatricesFile(file: string): Promise<SfpMatricesFile> {
  const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as SfpMatricesFile;
  if (typeof parsed?.classes !== 'number' || !Array.isArray(parsed.layers)) throw new Error('not a Quench SFP matrices file');
  return parsed;
}
